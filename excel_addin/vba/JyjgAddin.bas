Attribute VB_Name = "JyjgAddin"
' Ribbon callbacks of the jyjg add-in (customUI14.xml): each runs one Python action of
' excel_addin/scripts.py through xlwings' RunPython (the xlwings add-in must be installed).
'
' This module is ASCII only on purpose: Excel imports .bas files in the system code page, so any
' Chinese text here would be garbled on import. Chinese text travels as UTF-16 hex instead.
Option Explicit

Private Const PY_MODULE As String = "excel_addin.scripts"
' labels.PICKER_TITLE as UTF-16 hex (tests check that they agree)
Private Const PICKER_TITLE_HEX As String = "900962E94F508BC167506599FF0853EF591A9009FF09"

Private Sub CallPython(ByVal expression As String)
    ' Application.Run reaches RunPython in the xlwings add-in without a VBA project reference.
    Application.Run "xlwings.xlam!RunPython", "import " & PY_MODULE & " as jyjg; jyjg." & expression
End Sub

Public Sub OnValidate(control As IRibbonControl)
    CallPython "run_validate()"
End Sub

Public Sub OnScore(control As IRibbonControl)
    CallPython "run_score()"
End Sub

Public Sub OnAttachEvidence(control As IRibbonControl)
    Dim chosen As Variant, joined As String, i As Long
    chosen = Application.GetOpenFilename(Title:=FromHex(PICKER_TITLE_HEX), MultiSelect:=True)
    If Not IsArray(chosen) Then Exit Sub  ' cancelled
    For i = LBound(chosen) To UBound(chosen)
        If Len(joined) > 0 Then joined = joined & vbLf
        joined = joined & chosen(i)
    Next i
    ' Paths go over the command line as hex, so no code page can mangle Chinese file names.
    CallPython "run_attach_evidence('" & ToHex(joined) & "')"
End Sub

Public Sub OnPack(control As IRibbonControl)
    CallPython "run_pack()"
End Sub

' Text as UTF-16 code units, 4 hex digits each (decoded by scripts.decode_vba_text).
Private Function ToHex(ByVal text As String) As String
    Dim i As Long, result As String
    For i = 1 To Len(text)
        result = result & Right$("000" & Hex$(AscW(Mid$(text, i, 1)) And &HFFFF&), 4)
    Next i
    ToHex = result
End Function

Private Function FromHex(ByVal hexText As String) As String
    Dim i As Long, result As String
    For i = 1 To Len(hexText) Step 4
        result = result & ChrW(CLng("&H" & Mid$(hexText, i, 4) & "&"))
    Next i
    FromHex = result
End Function
