// The stamp's secrets: the payload master key (wraps every account's data keys) and the operator API secret.
// RBAC mode and purge protection: no access policies, and a deleted vault or secret cannot be purged early.
// The app reads both through Key Vault references with its own identity (Key Vault Secrets User, see roles.bicep).
// How each value is chosen (kept if stored, minted if new): see secretValue.bicep.

import { keepOrMint } from 'secretValue.bicep'

param name string
param location string
param tags object

@secure()
@description('The stored payload master key, or a fresh azd password on first provision.')
param payloadMasterKey string

@secure()
@description('The stored operator secret, or a fresh azd password on first provision.')
param operatorSecret string

@secure()
@minLength(90)
@description('At least 90 fresh random letters and digits (six azd passwords); the first half extends a new master key, the second half a new operator secret.')
param secretEntropy string

var masterKeySecretName = 'payload-master-key'
var operatorSecretName = 'operator-secret'

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
  }
}

resource masterKey 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: masterKeySecretName
  properties: {
    value: keepOrMint(payloadMasterKey, take(secretEntropy, 45))
    contentType: 'base64 of 32 random bytes (AES-256 key-wrapping key)'
  }
}

resource operator 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: operatorSecretName
  properties: {
    value: keepOrMint(operatorSecret, skip(secretEntropy, 45))
    contentType: 'operator API bearer secret'
  }
}

output name string = vault.name
output masterKeySecretName string = masterKey.name
output operatorSecretName string = operator.name
