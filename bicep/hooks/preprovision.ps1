# azd preprovision hook (Windows). Refuses to provision a stamp that already exists when this azd environment does
# not know its Key Vault: main.parameters.json reads the payload master key back from AZURE_KEY_VAULT_NAME, and
# without it azd generates a new key, the vault stores it as the current version, and every payload stored so far
# becomes unreadable. That is the state of a fresh clone (or another machine) before `azd env refresh`.
# The resource group is main.bicep's: rg-<environment name>. Same check as preprovision.sh.
$ErrorActionPreference = 'Stop'

function Refuse([string[]] $Lines) {
    foreach ($line in $Lines) { [Console]::Error.WriteLine("preprovision: $line") }
    exit 1
}

if ($env:AZURE_KEY_VAULT_NAME) {
    exit 0
}
if (-not $env:AZURE_ENV_NAME) {
    Refuse 'AZURE_ENV_NAME is not set; run this hook through azd.'
}

$group = "rg-$($env:AZURE_ENV_NAME)"
$arguments = @('group', 'exists', '--name', $group, '--output', 'tsv')
if ($env:AZURE_SUBSCRIPTION_ID) {
    $arguments += @('--subscription', $env:AZURE_SUBSCRIPTION_ID)
}

try {
    $exists = (& az @arguments | Out-String).Trim()
    $failed = $LASTEXITCODE -ne 0
}
catch {
    $failed = $true
}
if ($failed) {
    Refuse @(
        "could not check whether resource group $group exists ('az group exists' failed: is the Azure CLI installed and signed in? Run 'az login').",
        'not provisioning: if the stamp exists, provisioning without AZURE_KEY_VAULT_NAME would replace its payload master key.')
}

switch ($exists) {
    'false' { exit 0 }
    'true' {
        Refuse @(
            "resource group $group already exists, but AZURE_KEY_VAULT_NAME is not in this azd environment.",
            'provisioning now would write a new payload master key, and every stored payload would become unreadable.',
            "run 'azd env refresh' (it reads the stamp's outputs into the environment), then provision again.")
    }
    default { Refuse "unexpected answer from 'az group exists': $exists" }
}
