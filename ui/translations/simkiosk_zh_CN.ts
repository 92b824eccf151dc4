<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AccountNotFoundScreen</name>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="9"/>
        <source>We couldn&apos;t find your account</source>
        <translation>找不到您的账户</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="10"/>
        <source>We found no prepaid plan for this SIM card or number.</source>
        <translation>没有找到与此SIM卡或号码对应的预付费套餐。</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="11"/>
        <source>Type the phone number to try again. Nothing has been charged.</source>
        <translation>请输入手机号码再试一次。您没有被扣款。</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="13"/>
        <source>Type my phone number</source>
        <translation>输入手机号码</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="14"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
</context>
<context>
    <name>AccountScreen</name>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="10"/>
        <source>Is this your phone?</source>
        <translation>这是您的手机吗？</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="11"/>
        <source>Check the carrier and the last digits of the number.</source>
        <translation>请核对运营商和号码的最后几位。</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="63"/>
        <source>Phone number</source>
        <translation>手机号码</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="67"/>
        <source>Current plan</source>
        <translation>当前套餐</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="74"/>
        <source>Valid until</source>
        <translation>有效期至</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="90"/>
        <source>Yes, choose a plan</source>
        <translation>是的，选择套餐</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="90"/>
        <source>Choose another plan</source>
        <translation>选择其他套餐</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="96"/>
        <source>No, type a different number</source>
        <translation>不是，输入其他号码</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="102"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
</context>
<context>
    <name>Advice</name>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="8"/>
        <source>%1 did not answer within %2 s: retry in a minute; if it persists, restart it</source>
        <translation>%1 在 %2 秒内无应答：请一分钟后重试；如仍无应答，请重启该设备</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="9"/>
        <source>%1 transaction(s) need attention: settle each with the payment provider using its receipt number, then tell support</source>
        <translation>%1 笔交易需要处理：请凭收据号逐笔与支付服务商核对结清，然后通知技术支持</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="10"/>
        <source>%1 unfinished transaction(s): run `kiosk recover` or restart the kiosk</source>
        <translation>%1 笔交易未完成：请运行 `kiosk recover` 或重启自助机</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="11"/>
        <source>SIM removed during the test: push it fully in and retry</source>
        <translation>测试过程中 SIM卡被取出：请将其完全插入后重试</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="12"/>
        <source>audio guidance unavailable: reinstall the kiosk software (PySide6-Addons, speech-dispatcher, espeak-ng)</source>
        <translation>语音引导不可用：请重新安装自助机软件（PySide6-Addons、speech-dispatcher、espeak-ng）</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="13"/>
        <source>SIM unreadable: try another SIM; if every SIM fails, clean or replace the reader</source>
        <translation>无法读取 SIM卡：请换一张 SIM卡试试；如果所有 SIM卡都失败，请清洁或更换读卡器</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="14"/>
        <source>card reader service not running: restart pcscd (or reboot the kiosk)</source>
        <translation>读卡器服务未运行：请重启 pcscd（或重启自助机）</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="14"/>
        <source>configuration problem: correct the setting the line above names, then restart the kiosk</source>
        <translation>配置问题：请更正上面一行所指出的设置，然后重启自助机</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="15"/>
        <source>data disk unreadable: call support, do not power off</source>
        <translation>数据磁盘无法读取：请联系技术支持，切勿断电</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="16"/>
        <source>diagnostics failed unexpectedly: note the detail and call support</source>
        <translation>诊断意外失败：请记下详细信息并联系技术支持</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="17"/>
        <source>disk %1% full: delete old backups and logs in %2, or replace the disk</source>
        <translation>磁盘已用 %1%：请删除 %2 中的旧备份和日志，或更换磁盘</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="18"/>
        <source>end of day differs from the ledger by %1: compare the terminal&apos;s end-of-day receipt with the ledger export, check the transactions listed, then tell support</source>
        <translation>日结与账本相差 %1：请将支付终端的日结小票与账本导出核对，检查列出的交易，然后联系技术支持</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="19"/>
        <source>end of day failed: retry in a minute; if it fails again call the payment provider</source>
        <translation>日结失败：请一分钟后重试；如再次失败，请联系支付服务商</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="20"/>
        <source>ledger corrupt at seq %1: call support, do not power off</source>
        <translation>账本在序号 %1 处损坏：请联系技术支持，切勿断电</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="21"/>
        <source>ledger unreadable: call support, do not power off</source>
        <translation>账本无法读取：请联系技术支持，切勿断电</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="23"/>
        <source>ledger inconsistent: call support, do not power off</source>
        <translation>账本数据不一致：请联系技术支持，切勿断电</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="22"/>
        <source>no SIM in the reader: insert a SIM and retry</source>
        <translation>读卡器中没有 SIM卡：请插入 SIM卡后重试</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="23"/>
        <source>no end of day since %1: check the terminal, then run its end of day here</source>
        <translation>自 %1 以来没有日结：请检查支付终端，然后在此处执行日结</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="24"/>
        <source>no printer configured: receipts are shown as a QR code only ([printer] backend)</source>
        <translation>未配置打印机：收据仅以二维码显示（[printer] backend）</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="25"/>
        <source>no upstream configured: set [upstream] url in the configuration</source>
        <translation>未配置上游服务器：请在配置中设置 [upstream] url</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="27"/>
        <source>out of service until this is fixed: correct what the line above names, then leave this screen (the kiosk starts again)</source>
        <translation>修复前暂停服务：请更正上面一行所指出的问题，然后离开此界面（自助机将重新启动）</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="26"/>
        <source>printer misconfigured: check [printer] port or path in the configuration</source>
        <translation>打印机配置错误：请检查配置中的 [printer] port 或 path</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="27"/>
        <source>printer offline: check its power and cable, and that the cover is closed</source>
        <translation>打印机离线：请检查电源和线缆，并确认机盖已合上</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="28"/>
        <source>printer out of paper: load a roll</source>
        <translation>打印机缺纸：请装入新纸卷</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="29"/>
        <source>reader error: unplug and replug the reader; if it persists, replace it</source>
        <translation>读卡器错误：请拔下并重新插上读卡器；如仍有问题，请更换</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="30"/>
        <source>reader not answering: unplug the reader, wait 5 s, plug it back in</source>
        <translation>读卡器无应答：请拔下读卡器，等待 5 秒后重新插上</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="31"/>
        <source>reader not found: check the USB cable</source>
        <translation>未找到读卡器：请检查 USB 线缆</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="32"/>
        <source>reader unplugged: check the USB cable</source>
        <translation>读卡器已断开：请检查 USB 线缆</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="33"/>
        <source>software incomplete: reinstall the kiosk software</source>
        <translation>软件不完整：请重新安装自助机软件</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="34"/>
        <source>terminal busy: retry in a minute</source>
        <translation>支付终端忙：请一分钟后重试</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="35"/>
        <source>terminal not answering: check its power and cable, then restart it</source>
        <translation>支付终端无应答：请检查电源和线缆，然后重启终端</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="36"/>
        <source>terminal not found: check the serial cable and the terminal&apos;s power</source>
        <translation>未找到支付终端：请检查串口线和终端电源</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="37"/>
        <source>terminal reports a fault: read its display, run a diagnosis; call the payment provider if it persists</source>
        <translation>支付终端报告故障：请查看其显示屏并运行诊断；如仍有问题，请联系支付服务商</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="38"/>
        <source>upstream refuses the kiosk: check [upstream] url</source>
        <translation>上游服务器拒绝本机：请检查 [upstream] url</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="39"/>
        <source>no voice for %1: install the Debian package espeak-ng-data</source>
        <translation>没有 %1 的语音：请安装 Debian 软件包 espeak-ng-data</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="40"/>
        <source>upstream secret unreadable: reinstall the kiosk secret ([upstream] secret_file)</source>
        <translation>上游密钥无法读取：请重新安装自助机密钥（[upstream] secret_file）</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="41"/>
        <source>upstream server error: sales continue offline; tell support if it persists</source>
        <translation>上游服务器错误：销售可离线继续；如持续出现，请通知技术支持</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="42"/>
        <source>upstream unreachable: check the network cable; sales continue offline</source>
        <translation>无法连接上游服务器：请检查网线；销售可离线继续</translation>
    </message>
</context>
<context>
    <name>AttractScreen</name>
    <message>
        <location filename="../qml/screens/AttractScreen.qml" line="12"/>
        <source>Top up your phone plan</source>
        <translation>为您的手机套餐充值</translation>
    </message>
    <message>
        <location filename="../qml/screens/AttractScreen.qml" line="13"/>
        <source>Choose your language to start</source>
        <translation>选择语言即可开始</translation>
    </message>
    <message>
        <location filename="../qml/screens/AttractScreen.qml" line="14"/>
        <source>Start in English</source>
        <translation>使用中文</translation>
    </message>
</context>
<context>
    <name>CardRemovedScreen</name>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="7"/>
        <source>The card was taken out too early</source>
        <translation>SIM卡取出得太早了</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="8"/>
        <source>We need a few seconds to read the SIM card.</source>
        <translation>读取SIM卡需要几秒钟。</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="9"/>
        <source>Please insert it again and leave it in until the screen changes.</source>
        <translation>请重新插入SIM卡，在屏幕变化之前不要取出。</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="11"/>
        <source>Insert it again</source>
        <translation>重新插卡</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="12"/>
        <source>Type my phone number</source>
        <translation>输入手机号码</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
</context>
<context>
    <name>ConfirmScreen</name>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="10"/>
        <source>Check and pay</source>
        <translation>核对并付款</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="11"/>
        <source>Please check the number: a top-up cannot be moved to another phone.</source>
        <translation>请核对号码：充值后无法转到其他手机。</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="26"/>
        <source>Phone number</source>
        <translation>手机号码</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="27"/>
        <source>Carrier</source>
        <translation>运营商</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="35"/>
        <source>Plan</source>
        <translation>套餐</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="41"/>
        <source>Days valid</source>
        <translation>有效天数</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="60"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="28"/>
        <source>Price</source>
        <translation>价格</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="42"/>
        <source>Valid until</source>
        <translation>有效期至</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="49"/>
        <source>Pay %1</source>
        <translation>支付 %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="54"/>
        <source>Change plan</source>
        <translation>更换套餐</translation>
    </message>
</context>
<context>
    <name>DateStepper</name>
    <message>
        <location filename="../qml/components/DateStepper.qml" line="27"/>
        <source>One day earlier</source>
        <translation>提前一天</translation>
    </message>
    <message>
        <location filename="../qml/components/DateStepper.qml" line="57"/>
        <source>One day later</source>
        <translation>推后一天</translation>
    </message>
</context>
<context>
    <name>DemoPanel</name>
    <message>
        <location filename="../qml/components/DemoPanel.qml" line="62"/>
        <source>Demo controls (F2)</source>
        <translation>演示控制 (F2)</translation>
    </message>
    <message>
        <location filename="../qml/components/DemoPanel.qml" line="68"/>
        <source>Insert a test SIM</source>
        <translation>插入测试SIM卡</translation>
    </message>
    <message>
        <location filename="../qml/components/DemoPanel.qml" line="88"/>
        <source>Pull the card</source>
        <translation>拔出SIM卡</translation>
    </message>
    <message>
        <location filename="../qml/components/DemoPanel.qml" line="93"/>
        <source>Card terminal</source>
        <translation>刷卡机</translation>
    </message>
</context>
<context>
    <name>ErrorScreen</name>
    <message>
        <location filename="../qml/components/ErrorScreen.qml" line="61"/>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="14"/>
        <source>Reference: %1</source>
        <translation>参考号：%1</translation>
    </message>
</context>
<context>
    <name>IdleOverlay</name>
    <message>
        <location filename="../qml/components/IdleOverlay.qml" line="50"/>
        <source>Need more time?</source>
        <translation>需要更多时间吗？</translation>
    </message>
    <message>
        <location filename="../qml/components/IdleOverlay.qml" line="67"/>
        <source>seconds until the kiosk starts over and forgets what you entered.</source>
        <translation>秒后自助机将重新开始，并清除您输入的所有信息。</translation>
    </message>
    <message>
        <location filename="../qml/components/IdleOverlay.qml" line="76"/>
        <source>Yes, I need more time</source>
        <translation>是的，我需要更多时间</translation>
    </message>
</context>
<context>
    <name>InsertSimScreen</name>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="8"/>
        <source>Insert your SIM card</source>
        <translation>请插入您的SIM卡</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="9"/>
        <source>Put the SIM card into the slot below the screen, gold contacts facing up.</source>
        <translation>请将SIM卡插入屏幕下方的卡槽，金色触点朝上。</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="19"/>
        <source>A SIM card is already in the slot. Please take it out, then insert yours.</source>
        <translation>卡槽里已有一张SIM卡。请先取出，再插入您的SIM卡。</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="84"/>
        <source>Waiting for your card…</source>
        <translation>正在等待您的SIM卡…</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="94"/>
        <source>No SIM card or eSIM? Enter your phone number</source>
        <translation>没有SIM卡或使用eSIM？请输入手机号码</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="100"/>
        <source>Back</source>
        <translation>返回</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <location filename="../qml/components/Keypad.qml" line="41"/>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <location filename="../qml/components/Keypad.qml" line="55"/>
        <source>Delete last digit</source>
        <translation>删除最后一位</translation>
    </message>
</context>
<context>
    <name>LanguageScreen</name>
    <message>
        <location filename="../qml/screens/LanguageScreen.qml" line="8"/>
        <source>Choose your language</source>
        <translation>请选择语言</translation>
    </message>
    <message>
        <location filename="../qml/screens/LanguageScreen.qml" line="47"/>
        <source>Back</source>
        <translation>返回</translation>
    </message>
</context>
<context>
    <name>LookupScreen</name>
    <message>
        <location filename="../qml/screens/LookupScreen.qml" line="8"/>
        <source>Finding your account…</source>
        <translation>正在查找您的账户…</translation>
    </message>
    <message>
        <location filename="../qml/screens/LookupScreen.qml" line="9"/>
        <source>This takes a few seconds.</source>
        <translation>这需要几秒钟。</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <location filename="../qml/Main.qml" line="13"/>
        <source>SIM top-up kiosk</source>
        <translation>SIM卡充值自助机</translation>
    </message>
</context>
<context>
    <name>NoReaderScreen</name>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="7"/>
        <source>The SIM card reader is not working</source>
        <translation>SIM卡读卡器无法使用</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="8"/>
        <source>We can&apos;t read SIM cards right now, but you can still top up by typing your phone number.</source>
        <translation>目前无法读取SIM卡，但您仍可以输入手机号码充值。</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="9"/>
        <source>The staff have been told about the reader.</source>
        <translation>已通知工作人员读卡器故障。</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="11"/>
        <source>Type my phone number</source>
        <translation>输入手机号码</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="12"/>
        <source>Try the reader again</source>
        <translation>重新检测读卡器</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
</context>
<context>
    <name>OperatorScreen</name>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="10"/>
        <source>Operator</source>
        <translation>运营人员</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="11"/>
        <source>Export the transaction log.</source>
        <translation>导出交易记录。</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="39"/>
        <source>Dates (UTC days, both included)</source>
        <translation>日期（UTC 日期，含首尾两天）</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="42"/>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="47"/>
        <source>To</source>
        <translation>到</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="55"/>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="56"/>
        <source>Yesterday</source>
        <translation>昨天</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="57"/>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="58"/>
        <source>This month</source>
        <translation>本月</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="64"/>
        <source>Unmask: full phone numbers and ICCIDs</source>
        <translation>显示完整的手机号码和ICCID</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="76"/>
        <source>The file will contain personal data. Keep the stick safe.</source>
        <translation>文件将包含个人数据。请妥善保管U盘。</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="77"/>
        <source>Phone numbers and ICCIDs are masked.</source>
        <translation>手机号码和ICCID已部分隐藏。</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="86"/>
        <source>Save to</source>
        <translation>保存到</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="90"/>
        <source>No USB stick found. Plug one in and look again, or save to the kiosk&apos;s export folder.</source>
        <translation>未找到 U盘。请插入 U盘后重新查找，或保存到自助机的导出文件夹。</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="118"/>
        <source>USB stick %1</source>
        <translation>U盘 %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="119"/>
        <source>Kiosk export folder</source>
        <translation>自助机导出文件夹</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="120"/>
        <source>%1 MiB free</source>
        <translation>可用 %1 MiB</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="121"/>
        <source>read-only</source>
        <translation>只读</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="129"/>
        <source>Looking…</source>
        <translation>正在查找…</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="129"/>
        <source>Look for USB sticks again</source>
        <translation>重新查找 U盘</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="182"/>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="182"/>
        <source>Export CSV</source>
        <translation>导出 CSV</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="173"/>
        <source>Exported %1 transactions (%2 KiB, %3).</source>
        <translation>已导出 %1 笔交易（%2 KiB，%3）。</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="174"/>
        <source>masked</source>
        <translation>部分隐藏</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="174"/>
        <source>unmasked</source>
        <translation>完整显示</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="176"/>
        <source>Export failed: check the stick is plugged in, not full and not write-protected.</source>
        <translation>导出失败：请检查U盘已插好、未满且未写保护。</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="177"/>
        <source>Writing the file…</source>
        <translation>正在写入文件…</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="140"/>
        <source>Other operator tasks</source>
        <translation>其他运营任务</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="189"/>
        <source>Exit to the customer screen</source>
        <translation>退出到顾客界面</translation>
    </message>
</context>
<context>
    <name>OutOfServiceScreen</name>
    <message>
        <location filename="../qml/screens/OutOfServiceScreen.qml" line="8"/>
        <source>This kiosk is out of service</source>
        <translation>本自助机暂停服务</translation>
    </message>
    <message>
        <location filename="../qml/screens/OutOfServiceScreen.qml" line="9"/>
        <source>A technician is needed. Please use another kiosk.</source>
        <translation>需要技术人员维修。请使用其他自助机。</translation>
    </message>
    <message>
        <location filename="../qml/screens/OutOfServiceScreen.qml" line="10"/>
        <source>If you paid, keep the reference below; our support team will sort it out: %1</source>
        <translation>如果您已付款，请保留下方的参考号，我们的客服团队会为您处理：%1</translation>
    </message>
    <message>
        <location filename="../qml/screens/OutOfServiceScreen.qml" line="12"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
</context>
<context>
    <name>PayScreen</name>
    <message>
        <location filename="../qml/screens/PayScreen.qml" line="12"/>
        <source>Pay on the card terminal</source>
        <translation>请在刷卡机上付款</translation>
    </message>
    <message>
        <location filename="../qml/screens/PayScreen.qml" line="13"/>
        <source>The terminal is below the screen, on the right.</source>
        <translation>刷卡机位于屏幕右下方。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PayScreen.qml" line="77"/>
        <source>You can cancel the payment. You will not pay for a top-up you did not get.</source>
        <translation>您可以取消付款。没有充值成功，就不会向您收费。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PayScreen.qml" line="146"/>
        <source>Cancel payment</source>
        <translation>取消付款</translation>
    </message>
</context>
<context>
    <name>PaymentCancelledScreen</name>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="9"/>
        <source>Payment cancelled</source>
        <translation>付款已取消</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="10"/>
        <source>The payment was cancelled. Nothing was charged.</source>
        <translation>付款已取消，没有向您扣款。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="12"/>
        <source>Pay again</source>
        <translation>重新付款</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="13"/>
        <source>Change plan</source>
        <translation>更换套餐</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="14"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
</context>
<context>
    <name>PaymentDeclinedScreen</name>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="7"/>
        <source>Payment declined</source>
        <translation>付款被拒绝</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="8"/>
        <source>Your card was declined. Nothing was charged.</source>
        <translation>您的银行卡被拒绝，没有向您扣款。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="9"/>
        <source>You can try again with another card, or ask your bank why.</source>
        <translation>您可以换一张银行卡再试，或向银行咨询原因。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="11"/>
        <source>Try another card</source>
        <translation>换一张银行卡</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="12"/>
        <source>Change plan</source>
        <translation>更换套餐</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
</context>
<context>
    <name>PhoneScreen</name>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="16"/>
        <source>Enter your phone number</source>
        <translation>请输入您的手机号码</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="17"/>
        <source>The number of the phone you want to top up, area code first.</source>
        <translation>请输入要充值的手机号码，先输入区号。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="72"/>
        <source>Phone number</source>
        <translation>手机号码</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="37"/>
        <source>Please check the number: a US number has 10 digits, area code first.</source>
        <translation>请检查号码：美国手机号码为 10 位数字，先输入区号。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="102"/>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="108"/>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="115"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
</context>
<context>
    <name>PinScreen</name>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="10"/>
        <source>Staff sign-in</source>
        <translation>工作人员登录</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="11"/>
        <source>Enter your technician or operator PIN.</source>
        <translation>请输入技术员或运营人员的PIN码。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="17"/>
        <source>Checking…</source>
        <translation>正在验证…</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="18"/>
        <source>Wrong PIN. Attempts left before the keypad locks: %1</source>
        <translation>PIN码错误。键盘锁定前剩余尝试次数：%1</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="21"/>
        <source>Too many wrong PINs. Locked until a technician unlocks it.</source>
        <translation>PIN 错误次数过多。已锁定，需技术人员解锁。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="24"/>
        <source>Too many wrong PINs. Locked: try again in %1.</source>
        <translation>PIN码错误次数过多，已锁定：请在 %1 后重试。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="27"/>
        <source>A PIN has at least 4 digits.</source>
        <translation>PIN码至少为 4 位数字。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="28"/>
        <source>No staff PIN is set up on this kiosk.</source>
        <translation>本自助机未设置工作人员PIN码。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="29"/>
        <source>The PIN cannot be checked right now (ledger unavailable).</source>
        <translation>目前无法验证PIN码（账本不可用）。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="31"/>
        <source>The PIN cannot be checked right now (%1).</source>
        <translation>目前无法验证PIN码（%1）。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="73"/>
        <source>PIN</source>
        <translation>PIN码</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="102"/>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="108"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>PlansScreen</name>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="13"/>
        <location filename="../qml/screens/PlansScreen.qml" line="14"/>
        <source>Choose a plan</source>
        <translation>选择套餐</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="35"/>
        <source>There are no plans for this carrier at this kiosk.</source>
        <translation>本自助机没有此运营商的套餐。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="94"/>
        <source>Your current plan</source>
        <translation>您当前的套餐</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="136"/>
        <source>Choose</source>
        <translation>选择</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="145"/>
        <source>Days valid: %1</source>
        <translation>有效天数：%1</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="172"/>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="178"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
</context>
<context>
    <name>PrinterOutOfPaperScreen</name>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="12"/>
        <source>Done! Your phone is topped up.</source>
        <translation>完成！您的手机已充值成功。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="13"/>
        <source>Your plan now runs until %1.</source>
        <translation>您的套餐现在有效期至%1。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="15"/>
        <source>The receipt printer is out of paper. Scan the code to get your receipt on your phone.</source>
        <translation>收据打印机缺纸。请扫描二维码，在手机上查看收据。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="17"/>
        <source>Please take your SIM card.</source>
        <translation>请取回您的SIM卡。</translation>
    </message>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="18"/>
        <source>Done</source>
        <translation>完成</translation>
    </message>
</context>
<context>
    <name>ProcessingScreen</name>
    <message>
        <location filename="../qml/screens/ProcessingScreen.qml" line="8"/>
        <source>Payment approved</source>
        <translation>付款成功</translation>
    </message>
    <message>
        <location filename="../qml/screens/ProcessingScreen.qml" line="9"/>
        <source>Now topping up your phone. This usually takes a few seconds; please wait.</source>
        <translation>正在为您的手机充值，通常需要几秒钟，请稍候。</translation>
    </message>
</context>
<context>
    <name>ReadingScreen</name>
    <message>
        <location filename="../qml/screens/ReadingScreen.qml" line="8"/>
        <source>Reading your SIM card…</source>
        <translation>正在读取您的SIM卡…</translation>
    </message>
    <message>
        <location filename="../qml/screens/ReadingScreen.qml" line="9"/>
        <source>Please leave the card in the slot.</source>
        <translation>请不要取出SIM卡。</translation>
    </message>
</context>
<context>
    <name>ScreenBase</name>
    <message>
        <location filename="../qml/components/ScreenBase.qml" line="159"/>
        <source>Back to the top</source>
        <translation>回到顶部</translation>
    </message>
    <message>
        <location filename="../qml/components/ScreenBase.qml" line="160"/>
        <source>More below: swipe up or tap here</source>
        <translation>下方还有内容：向上滑动或点击此处</translation>
    </message>
</context>
<context>
    <name>Speech</name>
    <message>
        <location filename="../speech.py" line="47"/>
        <source>Audio guidance is on.</source>
        <translation>语音引导已开启。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="48"/>
        <source>For spoken instructions, press any key on the keypad, or touch and hold the top left corner of the screen.</source>
        <translation>如需语音引导，请按数字键盘上的任意键，或按住屏幕左上角。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="52"/>
        <source>Options: %1.</source>
        <translation>可选项：%1。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="53"/>
        <source>Please wait.</source>
        <translation>请稍候。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="54"/>
        <source>%1 is selected: press Enter to choose it. Plus and minus move to the other options; the dot key repeats this screen; star and slash change the volume.</source>
        <translation>已选中%1：按回车键确认。按加号或减号切换到其他选项；按小数点键重听本页；按星号或斜杠调节音量。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="59"/>
        <source>%1 is selected: double-tap to choose it. Swipe right or left to move to the other options; swipe up or down to hear this screen again.</source>
        <translation>已选中%1：双击确认。向右或向左滑动切换到其他选项；向上或向下滑动重听本页。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="64"/>
        <source>%1 is selected: press Enter to choose it.</source>
        <translation>已选中%1：按回车键确认。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="65"/>
        <source>%1 is selected: double-tap to choose it.</source>
        <translation>已选中%1：双击确认。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="68"/>
        <source>%1 is selected but not available yet. Plus and minus move to the other options; the dot key repeats this screen; star and slash change the volume.</source>
        <translation>已选中%1，但暂不可用。按加号或减号切换到其他选项；按小数点键重听本页；按星号或斜杠调节音量。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="73"/>
        <source>%1 is selected but not available yet. Swipe right or left to move to the other options; swipe up or down to hear this screen again.</source>
        <translation>已选中%1，但暂不可用。向右或向左滑动切换到其他选项；向上或向下滑动重听本页。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="78"/>
        <source>%1 is selected but not available yet.</source>
        <translation>已选中%1，但暂不可用。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="66"/>
        <source>%1, %2 of %3.</source>
        <translation>%1，第%2项，共%3项。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="67"/>
        <source>%1: not available yet.</source>
        <translation>%1：暂不可用。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="68"/>
        <source>%1: on</source>
        <translation>%1：已开启</translation>
    </message>
    <message>
        <location filename="../speech.py" line="69"/>
        <source>%1: off</source>
        <translation>%1：已关闭</translation>
    </message>
    <message>
        <location filename="../speech.py" line="70"/>
        <source>Volume %1 percent.</source>
        <translation>音量百分之%1。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="71"/>
        <source>%1 dollars</source>
        <translation>%1美元</translation>
    </message>
    <message>
        <location filename="../speech.py" line="72"/>
        <source>%1 dollars and %2 cents</source>
        <translation>%1美元%2美分</translation>
    </message>
    <message>
        <location filename="../speech.py" line="73"/>
        <source>Number typed so far: %1.</source>
        <translation>已输入的号码：%1。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="74"/>
        <source>%1 digits typed.</source>
        <translation>已输入%1位数字。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="75"/>
        <source>No digits typed yet. Type the number with the number keys.</source>
        <translation>尚未输入数字。请用数字键输入手机号码。</translation>
    </message>
    <message>
        <location filename="../speech.py" line="76"/>
        <source>your current plan</source>
        <translation>您当前的套餐</translation>
    </message>
</context>
<context>
    <name>StaffActionCard</name>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="49"/>
        <source>Running…</source>
        <translation>正在运行…</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="50"/>
        <source>OK</source>
        <translation>正常</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="51"/>
        <source>Problem</source>
        <translation>有问题</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="52"/>
        <source>Not run yet</source>
        <translation>尚未运行</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="60"/>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="60"/>
        <source>Run again</source>
        <translation>再次运行</translation>
    </message>
</context>
<context>
    <name>StaffTitles</name>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="7"/>
        <source>Start-up and configuration</source>
        <translation>启动与配置</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="7"/>
        <source>Card reader status</source>
        <translation>读卡器状态</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="8"/>
        <source>Live SIM read test</source>
        <translation>SIM卡实时读取测试</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="9"/>
        <source>Payment terminal status</source>
        <translation>支付终端状态</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="10"/>
        <source>Payment terminal diagnosis</source>
        <translation>支付终端诊断</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="11"/>
        <source>Payment terminal end of day</source>
        <translation>支付终端日结</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="12"/>
        <source>Printer status</source>
        <translation>打印机状态</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="13"/>
        <source>Printer test page</source>
        <translation>打印机测试页</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="14"/>
        <source>Upstream reachability and unsynced events</source>
        <translation>上游连通性和未同步事件</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="15"/>
        <source>Ledger verify</source>
        <translation>账本校验</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="16"/>
        <source>Transactions needing attention</source>
        <translation>需要处理的交易</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="17"/>
        <source>Last end of day (reconciliation)</source>
        <translation>最近一次日结（对账）</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="18"/>
        <source>Disk space</source>
        <translation>磁盘空间</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="19"/>
        <source>Audio guidance</source>
        <translation>语音引导</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="20"/>
        <source>Versions</source>
        <translation>版本</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="26"/>
        <source>Insert a SIM card into the reader now.</source>
        <translation>请现在将 SIM卡插入读卡器。</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="27"/>
        <source>Settling the day&apos;s payments: this can take a few minutes.</source>
        <translation>正在结算当日付款：可能需要几分钟。</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="28"/>
        <source>Printing a test page…</source>
        <translation>正在打印测试页…</translation>
    </message>
</context>
<context>
    <name>StartupOverlay</name>
    <message>
        <location filename="../qml/components/StartupOverlay.qml" line="26"/>
        <source>Out of service</source>
        <translation>暂停服务</translation>
    </message>
    <message>
        <location filename="../qml/components/StartupOverlay.qml" line="26"/>
        <source>Starting up…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <location filename="../qml/components/StartupOverlay.qml" line="33"/>
        <source>This kiosk needs a technician. Please use another kiosk.</source>
        <translation>此自助机需要技术人员维修。请使用其他自助机。</translation>
    </message>
    <message>
        <location filename="../qml/components/StartupOverlay.qml" line="34"/>
        <source>Checking that every earlier payment was completed.</source>
        <translation>正在确认之前的每笔付款都已完成。</translation>
    </message>
</context>
<context>
    <name>SuccessScreen</name>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="14"/>
        <source>Done! Your phone is topped up.</source>
        <translation>完成！您的手机已充值成功。</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="17"/>
        <source>Your plan now runs until %1.</source>
        <translation>您的套餐现在有效期至%1。</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="20"/>
        <source>Please take your SIM card.</source>
        <translation>请取回您的SIM卡。</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="19"/>
        <source>Your receipt is printing below the screen.</source>
        <translation>您的收据正在屏幕下方打印。</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="18"/>
        <source>Reference: %1</source>
        <translation>参考号：%1</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="115"/>
        <source>Scan for your receipt</source>
        <translation>扫码查看收据</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="125"/>
        <source>Remind me 3 days before it ends</source>
        <translation>到期前3天提醒我</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="21"/>
        <source>Done</source>
        <translation>完成</translation>
    </message>
</context>
<context>
    <name>TakeSimScreen</name>
    <message>
        <location filename="../qml/screens/TakeSimScreen.qml" line="10"/>
        <source>Please take your SIM card</source>
        <translation>请取回您的SIM卡</translation>
    </message>
    <message>
        <location filename="../qml/screens/TakeSimScreen.qml" line="11"/>
        <source>Take it out of the slot below the screen. Thank you!</source>
        <translation>请从屏幕下方的卡槽中取出。谢谢！</translation>
    </message>
    <message>
        <location filename="../qml/screens/TakeSimScreen.qml" line="57"/>
        <source>Your SIM card is still in the slot.</source>
        <translation>您的SIM卡还在卡槽里。</translation>
    </message>
</context>
<context>
    <name>TechnicianScreen</name>
    <message>
        <location filename="../qml/screens/TechnicianScreen.qml" line="9"/>
        <source>Technician</source>
        <translation>技术员</translation>
    </message>
    <message>
        <location filename="../qml/screens/TechnicianScreen.qml" line="10"/>
        <source>Run a check; each one says what to do next.</source>
        <translation>运行检查；每项检查都会说明下一步该怎么做。</translation>
    </message>
    <message>
        <location filename="../qml/screens/TechnicianScreen.qml" line="47"/>
        <source>Exit to the customer screen</source>
        <translation>退出到顾客界面</translation>
    </message>
</context>
<context>
    <name>TerminalOfflineScreen</name>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="7"/>
        <source>The card terminal is not responding</source>
        <translation>刷卡机没有响应</translation>
    </message>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="8"/>
        <source>Nothing was charged.</source>
        <translation>没有向您扣款。</translation>
    </message>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="9"/>
        <source>Please try again in a moment. If it keeps happening, please use another kiosk.</source>
        <translation>请稍后再试。如果问题持续，请使用其他自助机。</translation>
    </message>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="11"/>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="12"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
</context>
<context>
    <name>TopBar</name>
    <message>
        <location filename="../qml/components/TopBar.qml" line="74"/>
        <source>Phone top-up</source>
        <translation>手机充值</translation>
    </message>
    <message>
        <location filename="../qml/components/TopBar.qml" line="116"/>
        <source>Contrast</source>
        <translation>高对比度</translation>
    </message>
    <message>
        <location filename="../qml/components/TopBar.qml" line="123"/>
        <source>Large text</source>
        <translation>大字体</translation>
    </message>
</context>
<context>
    <name>TopupFailedScreen</name>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="7"/>
        <source>The top-up did not go through</source>
        <translation>充值未成功</translation>
    </message>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="8"/>
        <source>The carrier could not add the plan to this number. Your payment of %1 is being reversed: you will not be charged.</source>
        <translation>运营商无法为此号码添加套餐。您支付的%1正在退回，不会向您收费。</translation>
    </message>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="9"/>
        <source>Depending on your bank, the reversal can take a few days to show. Keep the reference below.</source>
        <translation>根据您的银行不同，退款可能需要几天才能到账。请保留下方的参考号。</translation>
    </message>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="11"/>
        <source>Choose another plan</source>
        <translation>选择其他套餐</translation>
    </message>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="12"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
</context>
<context>
    <name>UnreadableSimScreen</name>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="7"/>
        <source>We couldn&apos;t read this SIM card</source>
        <translation>无法读取此SIM卡</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="8"/>
        <source>The card may be upside down, dirty, or a kind of SIM we don&apos;t know.</source>
        <translation>SIM卡可能插反、有污渍，或是我们不支持的类型。</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="9"/>
        <source>Take it out, check it and insert it again, or type your phone number instead.</source>
        <translation>请取出检查后重新插入，或改为输入手机号码。</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="11"/>
        <source>Insert it again</source>
        <translation>重新插卡</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="12"/>
        <source>Type my phone number</source>
        <translation>输入手机号码</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
</context>
<context>
    <name>UpstreamOfflineScreen</name>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="8"/>
        <source>We can&apos;t reach the carriers right now</source>
        <translation>目前无法连接运营商</translation>
    </message>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="9"/>
        <source>Top-ups need a network connection, which is down at the moment. Nothing was charged.</source>
        <translation>充值需要网络连接，目前网络中断。没有向您扣款。</translation>
    </message>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="10"/>
        <source>Your SIM card and phone are fine. Please try again in a few minutes.</source>
        <translation>您的SIM卡和手机没有问题。请几分钟后再试。</translation>
    </message>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="12"/>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>重新开始</translation>
    </message>
</context>
<context>
    <name>ViewModel</name>
    <message>
        <location filename="../viewmodels.py" line="74"/>
        <source>ending in %1</source>
        <translation>尾号 %1</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="149"/>
        <source>That number cannot be topped up: it is not a valid US number. Nothing was charged. Please type the number.</source>
        <extracomment>A catalogue id (&quot;tmo-unl-40&quot;) rather than a name: never shown to a customer.</extracomment>
        <translation>该号码无法充值：不是有效的美国手机号码。未扣任何费用。请输入手机号码。</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="150"/>
        <source>The price of that plan has just changed. Nothing was charged. Please choose again.</source>
        <translation>该套餐的价格刚刚变更。未扣任何费用。请重新选择。</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="151"/>
        <source>That plan is no longer on sale. Nothing was charged. Please choose another plan.</source>
        <translation>该套餐已停售。未扣任何费用。请选择其他套餐。</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="152"/>
        <source>That plan is not for this carrier. Nothing was charged. Please choose again.</source>
        <translation>该套餐不适用于此运营商。未扣任何费用。请重新选择。</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="153"/>
        <source>That plan cannot be paid at this kiosk. Nothing was charged. Please choose another plan.</source>
        <translation>此自助机无法支付该套餐。未扣任何费用。请选择其他套餐。</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="218"/>
        <source>Renew %1 for %2</source>
        <translation>续费“%1”，%2</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="245"/>
        <source>at least until %1</source>
        <translation>至少至%1</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="282"/>
        <source>Tap, insert or swipe your card</source>
        <translation>请将银行卡贴近刷卡机，或插卡、刷卡</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="284"/>
        <source>Insert your card</source>
        <translation>请插入银行卡</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="286"/>
        <source>Enter your PIN on the terminal</source>
        <translation>请在刷卡机上输入密码</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="288"/>
        <source>Wrong PIN. Please try again.</source>
        <translation>密码错误，请重试。</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="290"/>
        <source>Please wait…</source>
        <translation>请稍候…</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="292"/>
        <source>Processing your payment…</source>
        <translation>正在处理您的付款…</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="294"/>
        <source>Please take your card</source>
        <translation>请取回银行卡</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="296"/>
        <source>Payment approved</source>
        <translation>付款成功</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="298"/>
        <source>Payment declined</source>
        <translation>付款被拒绝</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="300"/>
        <source>This card is not accepted. Please use another card.</source>
        <translation>不支持此银行卡，请换一张。</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="302"/>
        <source>The card could not be read. Please try again.</source>
        <translation>无法读取银行卡，请重试。</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="304"/>
        <source>Please try again</source>
        <translation>请重试</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="305"/>
        <source>Follow the instructions on the terminal</source>
        <translation>请按刷卡机上的提示操作</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="321"/>
        <source>Cancelling the payment…</source>
        <translation>正在取消付款…</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="323"/>
        <source>The card terminal is not responding.</source>
        <translation>刷卡机没有响应。</translation>
    </message>
</context>
</TS>
