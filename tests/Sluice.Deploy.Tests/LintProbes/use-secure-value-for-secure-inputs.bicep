// Deliberately bad: a secret property fed from a parameter that is not @secure().
param location string
param initialValue string

resource vm 'Microsoft.Compute/virtualMachines@2024-07-01' = {
  name: 'vm'
  location: location
  properties: {
    osProfile: {
      computerName: 'vm'
      adminUsername: initialValue
      adminPassword: initialValue
    }
  }
}
