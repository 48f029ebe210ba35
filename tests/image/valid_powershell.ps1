# Valid Windows PowerShell 5.1 that tree-sitter-powershell must read as what it is
# (tests/image/test_powershell_syntax.py, test_the_grammar_reads_valid_powershell_as_what_it_is). Each case
# starts at a `#: <case> => <node>` line and runs to the next one: <node> is a node type the parse must contain
# (or `type=text`: one node of that type and text).

#: here-string, expandable => expandable_here_string_literal
$text = @"
line $x "quoted" @{}
"@

#: here-string, verbatim => verbatim_here_string_characters
$text = @'
line $x ' "
'@

#: here-string as an argument => command_parameter
Set-Content -Path x -Value @"
hi
"@ -Encoding UTF8

#: splatting => variable=@p
$p = @{ Path = "x"; Force = $true }
New-Item @p

#: -f formatting => format_operator
"{0} {1:N2}" -f $a, $b
$s = '{0}' -f (Get-Date)

#: subexpression in a string => sub_expression
"a $($x.Name) b $(Get-Date -Format o)"

#: static members => ::
[Console]::Error.WriteLine("x" +
    "y")
[Convert]::FromBase64String($b)

#: typed catch and finally => catch_type_list
try { throw 'x' } catch [System.IO.IOException] { $_ } catch { exit 1 } finally { 1 }

#: redirections => merging_redirection_operator
cmd /c foo 2>&1 | Out-Null
& $exe *> $null

#: line continuation => command_parameter
Get-Item `
  -Path x `
  -Force

#: case-sensitive operators => comparison_operator
if ($v -cnotmatch $p -and -not $q) { $i++ }

#: multi-line hashtable => hash_entry
$h = [ordered]@{
    A = 1
    'b c' = 2
}

#: script block and call operator => command_invokation_operator
$sb = { param($x) $x * 2 }
& $sb 3

#: switch, one clause a line => switch_clause
switch -Regex ($x) {
    "^a" { 1; break }
    default { 2 }
}

#: param block with attributes => param_block
[CmdletBinding()]
param([Parameter(Mandatory)][string]$Name, [int]$N = 3)
$Name

#: escapes in strings => verbatim_string_characters
"a `"b`" `$c `n"
'it''s'

#: stop-parsing token => stop_parsing
icacls X --% /grant Everyone:F

#: do/while, foreach, trap => trap_statement
do { $i++ } while ($i -lt 3)
foreach ($f in Get-ChildItem) { continue }
trap { exit 1 }

#: class and enum => enum_statement
class A { [int]$X; [string] Name() { return 'a' } }
enum Color { Red; Green }
