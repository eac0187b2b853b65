// Deliberately bad: resourceGroup().location outside a parameter default.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id'
  location: resourceGroup().location
}
