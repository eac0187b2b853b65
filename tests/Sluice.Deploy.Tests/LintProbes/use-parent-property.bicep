// Deliberately bad: a child named "parent/child" instead of using the parent property.
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
  name: '${storage.name}/default'
}
