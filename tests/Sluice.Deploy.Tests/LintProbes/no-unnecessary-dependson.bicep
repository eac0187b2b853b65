// Deliberately bad: dependsOn repeats a dependency the parent property already implies.
param location string

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: 'stprobe'
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
  dependsOn: [
    storage
  ]
}
