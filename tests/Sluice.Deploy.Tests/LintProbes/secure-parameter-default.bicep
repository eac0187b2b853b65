// Deliberately bad: a secure parameter with a literal default.
@secure()
param operatorSecret string = 'not-a-secret'

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: 'kv-probe'
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'operator-secret'
  properties: {
    value: operatorSecret
  }
}
