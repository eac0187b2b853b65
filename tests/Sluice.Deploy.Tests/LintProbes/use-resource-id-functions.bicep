// Deliberately bad: a resource id built by hand.
param location string

resource app 'Microsoft.Web/sites@2024-11-01' = {
  name: 'func-probe'
  location: location
  properties: {
    serverFarmId: '${subscription().id}/resourceGroups/rg/providers/Microsoft.Web/serverfarms/plan'
  }
}
