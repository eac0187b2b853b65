// Deliberately bad: reference() where the resource's symbolic name would do.
param location string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id'
  location: location
}

output principalId string = reference(identity.id, '2023-01-31').principalId
