// Deliberately bad: an existing resource nobody uses.
resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: 'stprobe'
}
