// The gateway: one Flex Consumption app (Linux, dotnet-isolated 10.0) with its own plan (one app per Flex plan),
// running as the stamp's user-assigned identity. Every setting Sluice reads is declared here, in one place:
// an ARM deployment replaces the whole set of app settings.

import { sluiceDefaults } from 'sluiceSettings.bicep'
import { route, signInProvider, tierDays } from 'types.bicep'

param name string
param planName string
param location string
param tags object

@description('The azure.yaml service this app hosts (azd finds the app by this tag).')
param serviceName string

param identityName string
param hostStorageName string
param deploymentContainerName string
param dataStorageName string
param keyVaultName string
param masterKeySecretName string
param operatorSecretName string
param applicationInsightsName string

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@minValue(1)
@maxValue(1000)
@description('Concurrent HTTP executions per instance; each open stream holds one until it ends.')
param httpPerInstanceConcurrency int

param dataRegion string
param purgeSchedule string
param tablePrefix string
param payloadContainer string
param lockContainer string
param keyRingContainer string
param lifecycleTierDays tierDays[]
param routes route[]
param providerKeySecretNames { *: string }
param signInProviders signInProvider[]
param appSettings { *: string }

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: hostStorageName
}

resource dataStorage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: dataStorageName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

func keyVaultReference(vaultName string, secretName string) string =>
  '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=${secretName})'

// The Functions runtime: host storage and telemetry, both by identity; no welcome page at / (it would be the only
// anonymous 200 the app serves).
var platformSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  AzureWebJobsStorage__blobServiceUri: hostStorage.properties.primaryEndpoints.blob
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  AzureWebJobsDisableHomepage: 'true'
}

// The Entra ID audience of storage in the cloud this stamp is deployed to (Sluice:Storage:Audience).
var storageAudiences = {
  AzureCloud: 'https://storage.azure.com'
  AzureChinaCloud: 'https://storage.azure.cn'
  AzureUSGovernment: 'https://storage.usgovcloudapi.net'
}

// What makes this app this stamp: its region, identity, storage, secrets. Not overridable by appSettings.
var stampSettings = {
  Sluice__DataRegion: dataRegion
  Sluice__ManagedIdentityClientId: identity.properties.clientId
  Sluice__Storage__TableServiceUri: dataStorage.properties.primaryEndpoints.table
  Sluice__Storage__BlobServiceUri: dataStorage.properties.primaryEndpoints.blob
  Sluice__Storage__Audience: storageAudiences[environment().name]
  Sluice__Storage__TablePrefix: tablePrefix
  Sluice__Storage__PayloadContainer: payloadContainer
  Sluice__Storage__LockContainer: lockContainer
  Sluice__Storage__KeyRingContainer: keyRingContainer
  Sluice__Payloads__MasterKey: keyVaultReference(keyVaultName, masterKeySecretName)
  Sluice__Operator__Secret: keyVaultReference(keyVaultName, operatorSecretName)
  Sluice__Retention__LifecycleTiers: join(map(lifecycleTierDays, days => string(days)), ',')
  Sluice__Proxy__TrustForwardedFor: 'true'
  SLUICE_PURGE_SCHEDULE: purgeSchedule
}

// Routes are an ordered list: Sluice__Routing__Routes__<index>__<Property>.
var routeSettings = reduce(
  map(range(0, length(routes)), index => toObject(
    items(routes[index]),
    property => 'Sluice__Routing__Routes__${index}__${property.key}',
    property => string(property.value)
  )),
  {},
  (all, one) => union(all, one)
)

// Upstream API keys: the app setting a route names in ApiKeySetting, as a Key Vault reference.
var providerKeySettings = toObject(
  items(providerKeySecretNames),
  entry => entry.key,
  entry => keyVaultReference(keyVaultName, entry.value)
)

// Dashboard sign-in providers: Sluice__SignIn__Providers__<Name>__<Property>, lists by index, and the client secret
// as a Key Vault reference (never a value in the template).
var signInSettings = reduce(
  map(signInProviders, provider => union(
    {
      'Sluice__SignIn__Providers__${provider.Name}__DisplayName': provider.DisplayName
      'Sluice__SignIn__Providers__${provider.Name}__Authority': provider.Authority
      'Sluice__SignIn__Providers__${provider.Name}__ClientId': provider.ClientId
      'Sluice__SignIn__Providers__${provider.Name}__ClientSecret': keyVaultReference(keyVaultName, provider.ClientSecretName)
      'Sluice__SignIn__Providers__${provider.Name}__RequireVerifiedEmail': string(provider.?RequireVerifiedEmail ?? true)
    },
    toObject(range(0, length(provider.?AllowedTenants ?? [])), index => 'Sluice__SignIn__Providers__${provider.Name}__AllowedTenants__${index}', index => provider.AllowedTenants![index]),
    toObject(range(0, length(provider.?AllowedEmailDomains ?? [])), index => 'Sluice__SignIn__Providers__${provider.Name}__AllowedEmailDomains__${index}', index => provider.AllowedEmailDomains![index])
  )),
  {},
  (all, one) => union(all, one)
)

// Memory request bodies may hold at once: a quarter of the instance (512 MiB on the default 2,048 MB), leaving the
// rest to the runtime and the host (docs/reliability.md). Before appSettings, so an operator can still set it.
var memorySettings = {
  Sluice__Proxy__MaxBufferedRequestBytes: string(instanceMemoryMB / 4 * 1048576)
}

var allSettings = union(sluiceDefaults, memorySettings, routeSettings, appSettings, providerKeySettings, signInSettings, stampSettings, platformSettings)

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    keyVaultReferenceIdentity: identity.id
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: map(items(allSettings), setting => {
        name: setting.key
        value: setting.value
      })
    }
  }
}

output name string = app.name
output url string = 'https://${app.properties.defaultHostName}'
