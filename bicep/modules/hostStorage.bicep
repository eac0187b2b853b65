// Storage for the Functions runtime itself (timer status, host locks) and the Flex deployment package.
// Used by identity only (AzureWebJobsStorage__credential = managedidentity); no customer data is written here.

import { storageSecurity } from 'storageSecurity.bicep'

param name string
param location string
param tags object
param deploymentContainerName string

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: storageSecurity
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

// Flex Consumption needs the deployment container before the app exists, one container per app.
resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deploymentContainerName
}

output name string = storage.name
