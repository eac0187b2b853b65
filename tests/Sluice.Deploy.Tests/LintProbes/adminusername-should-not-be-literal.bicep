// Deliberately bad: a literal admin user name.
param location string
@secure()
param adminPassword string

resource vm 'Microsoft.Compute/virtualMachines@2024-07-01' = {
  name: 'vm'
  location: location
  properties: {
    osProfile: {
      computerName: 'vm'
      adminUsername: 'azureuser'
      adminPassword: adminPassword
    }
  }
}
