// Deliberately bad: a resource name that changes on every deployment.
param location string
param suffix string = newGuid()

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${suffix}'
  location: location
}
