#!/bin/sh
# azd preprovision hook (Linux, macOS). Refuses to provision a stamp that already exists when this azd environment
# does not know its Key Vault: main.parameters.json reads the payload master key back from AZURE_KEY_VAULT_NAME, and
# without it azd generates a new key, the vault stores it as the current version, and every payload stored so far
# becomes unreadable. That is the state of a fresh clone (or another machine) before `azd env refresh`.
# The resource group is main.bicep's: rg-<environment name>. Same check as preprovision.ps1.
set -eu

if [ -n "${AZURE_KEY_VAULT_NAME:-}" ]; then
  exit 0
fi
if [ -z "${AZURE_ENV_NAME:-}" ]; then
  echo "preprovision: AZURE_ENV_NAME is not set; run this hook through azd." >&2
  exit 1
fi

group="rg-${AZURE_ENV_NAME}"
set -- group exists --name "$group" --output tsv
if [ -n "${AZURE_SUBSCRIPTION_ID:-}" ]; then
  set -- "$@" --subscription "$AZURE_SUBSCRIPTION_ID"
fi

if ! exists=$(az "$@"); then
  echo "preprovision: could not check whether resource group $group exists ('az group exists' failed: is the Azure CLI installed and signed in? Run 'az login')." >&2
  echo "preprovision: not provisioning: if the stamp exists, provisioning without AZURE_KEY_VAULT_NAME would replace its payload master key." >&2
  exit 1
fi

case "$exists" in
  false)
    exit 0
    ;;
  true)
    echo "preprovision: resource group $group already exists, but AZURE_KEY_VAULT_NAME is not in this azd environment." >&2
    echo "preprovision: provisioning now would write a new payload master key, and every stored payload would become unreadable." >&2
    echo "preprovision: run 'azd env refresh' (it reads the stamp's outputs into the environment), then provision again." >&2
    exit 1
    ;;
  *)
    echo "preprovision: unexpected answer from 'az group exists': $exists" >&2
    exit 1
    ;;
esac
