// The security baseline every storage account of a stamp shares: Entra ID only (no shared keys, so no account-key
// SAS either), no anonymous blob access, TLS 1.2, HTTPS only, no replication to other tenants.

@export()
@description('Properties every storage account in a stamp starts from.')
var storageSecurity = {
  allowBlobPublicAccess: false
  allowSharedKeyAccess: false
  allowCrossTenantReplication: false
  defaultToOAuthAuthentication: true
  minimumTlsVersion: 'TLS1_2'
  supportsHttpsTrafficOnly: true
  publicNetworkAccess: 'Enabled'
  accessTier: 'Hot'
}
