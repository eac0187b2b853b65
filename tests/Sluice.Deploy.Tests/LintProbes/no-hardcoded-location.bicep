// Deliberately bad: a region literal instead of the location parameter.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id'
  location: 'westus'
}
