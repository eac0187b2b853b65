// One Sluice stamp: everything that serves one data region, in one Azure region and one resource group.
// Nothing here refers to another stamp; a second data region is a second azd environment (see README).
//
//   rg-<env> ─┬─ id-…     user-assigned identity (the only principal with data access)
//             ├─ plan-… + func-…   Flex Consumption app, dotnet-isolated 10.0
//             ├─ sthost…  Functions host storage + deployment package (identity only)
//             ├─ stdata…  customer data: tables, payload + lock + session key-ring containers, lifecycle rules per tier
//             ├─ kv-…     payload master key, operator secret (RBAC, purge protection)
//             └─ log-… + appi-…    Log Analytics + Application Insights (Entra ingestion only)

targetScope = 'subscription'

import { route, signInProvider, tierDays } from 'modules/types.bicep'

@minLength(1)
@maxLength(64)
@description('The azd environment name; seeds resource names and tags the resource group.')
param environmentName string

@minLength(1)
@description('The Azure region of this stamp. Every resource is created here. Flex Consumption must be offered in it (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
    // Preselected when azd asks for the region (AZURE_LOCATION unset): the default stamp is a US stamp in westus.
    default: 'westus'
  }
})
param location string

@description('The data-region label this stamp serves (us, eu, …): on every usage row, blob tag and key prefix.')
@minLength(2)
@maxLength(16)
param dataRegion string = 'us'

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID). Gets Key Vault Secrets Officer on the vault only; empty skips it.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@allowed([
  512
  2048
  4096
])
@description('Memory per Flex instance: 512 MB (0.25 core), 2048 MB (1 core) or 4096 MB (2 cores).')
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
@description('Upper bound of Flex scale-out.')
param maximumInstanceCount int = 100

@minValue(1)
@maxValue(1000)
// From tests/load: one core carries about 230 model-shaped streams (a chunk every 30 ms) through Sluice and the host's
// forwarding hop (quiet run 232, a busy one 243); memory would allow about 2,400. docs/performance.md derives it and
// prices it (PerformanceDocTests).
@description('Concurrent HTTP executions per instance before Flex adds one; a streamed completion holds one until it ends.')
param httpPerInstanceConcurrency int = 200

@description('Six-field NCRONTAB, always UTC on Flex: when the purge runs (SLUICE_PURGE_SCHEDULE).')
param purgeSchedule string = '0 5 * * * *'

@minLength(1)
@maxLength(100)
@description('Lifecycle tiers in days, ascending: the app setting Sluice__Retention__LifecycleTiers and one storage lifecycle rule each (at most 100 rules per policy).')
param lifecycleTierDays tierDays[] = [1, 7, 30, 90, 180, 365]

@description('Model routes in order. The default is the built-in mock model; see README for provider routes.')
param routes route[] = [
  {
    Model: 'mock'
    Provider: 'mock'
    Id: 'mock'
    InputPricePerMillion: '0.15'
    OutputPricePerMillion: '0.6'
    Region: 'stamp'
    Retention: 'none'
    Training: 'no'
  }
]

@description('Upstream API keys: app setting name (a route\'s ApiKeySetting) to the name of a secret in this stamp\'s Key Vault.')
param providerKeySecretNames { *: string } = {}

@description('Identity providers people sign in to the dashboard with (see docs/sso.md). Each client secret is read from this stamp\'s Key Vault by the secret name given; the default is none (nobody can sign in).')
param signInProviders signInProvider[] = []

@description('Tuned Sluice settings by app-setting name (e.g. Sluice__Retention__DefaultContentRetentionDays), over the defaults in modules/sluiceSettings.bicep.')
param appSettings { *: string } = {}

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
@description('Redundancy of the customer-data account; geo-redundant SKUs are not offered because they copy data to another region.')
param dataStorageSku string = 'Standard_LRS'

@secure()
@description('azd: $(secretOrRandomPassword <vault> payload-master-key), the stored key or a fresh password. See modules/secretValue.bicep.')
param payloadMasterKey string

@secure()
@description('azd: $(secretOrRandomPassword <vault> operator-secret), the stored secret or a fresh password.')
param operatorSecret string

@secure()
@description('azd: six fresh $(secretOrRandomPassword) values, used only when a secret is new.')
param secretEntropy string

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var serviceName = 'api'
var functionAppName = 'func-sluice-${resourceToken}'

// Sluice's storage layout (StorageOptions defaults and the tables SluiceStorage opens). The deploy tests compare it
// with the code.
var tablePrefix = 'sluice'
var tableNames = map(['accounts', 'keys', 'usage', 'rollups', 'audit', 'datakeys', 'purgeruns', 'fairuse'], table => '${tablePrefix}${table}')
var payloadContainer = 'payloads'
var lockContainer = 'sluice-locks'
var keyRingContainer = 'sluice-keyring'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-sluice-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-sluice-${resourceToken}'
    applicationInsightsName: 'appi-sluice-${resourceToken}'
    location: location
    tags: tags
  }
}

module hostStorage 'modules/hostStorage.bicep' = {
  name: 'hostStorage'
  scope: rg
  params: {
    name: 'sthost${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package'
  }
}

module dataStorage 'modules/dataStorage.bicep' = {
  name: 'dataStorage'
  scope: rg
  params: {
    name: 'stdata${resourceToken}'
    location: location
    tags: tags
    skuName: dataStorageSku
    tableNames: tableNames
    payloadContainer: payloadContainer
    lockContainer: lockContainer
    keyRingContainer: keyRingContainer
    lifecycleTierDays: lifecycleTierDays
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: 'kv-sluice-${resourceToken}'
    location: location
    tags: tags
    payloadMasterKey: payloadMasterKey
    operatorSecret: operatorSecret
    secretEntropy: secretEntropy
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    identityPrincipalId: identity.outputs.principalId
    dataStorageName: dataStorage.outputs.name
    hostStorageName: hostStorage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-sluice-${resourceToken}'
    location: location
    tags: tags
    serviceName: serviceName
    identityName: identity.outputs.name
    hostStorageName: hostStorage.outputs.name
    deploymentContainerName: 'app-package'
    dataStorageName: dataStorage.outputs.name
    keyVaultName: keyVault.outputs.name
    masterKeySecretName: keyVault.outputs.masterKeySecretName
    operatorSecretName: keyVault.outputs.operatorSecretName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    dataRegion: dataRegion
    purgeSchedule: purgeSchedule
    tablePrefix: tablePrefix
    payloadContainer: payloadContainer
    lockContainer: lockContainer
    lifecycleTierDays: lifecycleTierDays
    keyRingContainer: keyRingContainer
    routes: routes
    providerKeySecretNames: providerKeySecretNames
    signInProviders: signInProviders
    appSettings: appSettings
  }
  // The app resolves its Key Vault references and reaches storage at first start: grant its roles first.
  dependsOn: [
    roles
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
@description('The gateway\'s base URL: clients use <SLUICE_URL>/v1 as their OpenAI base URL.')
output SLUICE_URL string = functionApp.outputs.url
@description('The data region this stamp serves.')
output SLUICE_DATA_REGION string = dataRegion
