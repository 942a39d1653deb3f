// The virtual network Vigil's apps and data services share: one delegated subnet per Function App plan (outbound
// VNet integration), one for private endpoints and one for the self-hosted runners of the model pipeline
// (ADR 0007). The private DNS zones make the services' public names resolve to their private endpoints inside
// the network.
@description('Azure region of the virtual network.')
param location string

@description('Name of the virtual network.')
param vnetName string

@description('Address space of the network, a /22 or larger; the four subnets take consecutive /24 blocks of it.')
param addressSpace string

@description('Tags for every resource.')
param tags object

@description('Log Analytics workspace that receives the network security groups\' logs and the network\'s metrics.')
param workspaceId string

// The private DNS zones of the services Vigil reaches over private endpoints, in the order of the zoneIds output.
// Only zones a private endpoint registers in: no app uses a storage account's tables or files.
var zoneNames = [
  'privatelink.documents.azure.com'
  'privatelink.blob.${environment().suffixes.storage}'
  'privatelink.queue.${environment().suffixes.storage}'
  'privatelink.vaultcore.azure.net'
  'privatelink.eventgrid.azure.net'
  'privatelink.azurecr.io'
]

var subnetNames = [ 'scoring-apps', 'control-apps', 'private-endpoints', 'runners' ]

resource nsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: '${vnetName}-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        // Nothing from the internet reaches a workload in this network directly; the apps' public endpoints are
        // served by App Service, outside it.
        name: 'deny-internet-inbound'
        properties: {
          priority: 4000
          direction: 'Inbound'
          access: 'Deny'
          protocol: '*'
          sourceAddressPrefix: 'Internet'
          sourcePortRange: '*'
          destinationAddressPrefix: 'VirtualNetwork'
          destinationPortRange: '*'
        }
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [ addressSpace ] }
    subnets: [for (subnet, i) in subnetNames: {
      name: subnet
      properties: {
        addressPrefix: cidrSubnet(addressSpace, 24, i)
        networkSecurityGroup: { id: nsg.id }
        privateEndpointNetworkPolicies: subnet == 'private-endpoints' ? 'Enabled' : 'Disabled'
        delegations: endsWith(subnet, '-apps') ? [
          {
            name: 'functions'
            properties: { serviceName: 'Microsoft.Web/serverFarms' }
          }
        ] : []
      }
    }]
  }
}

// Azure Verified Module for the zones and their links to the network.
module zones 'br/public:avm/res/network/private-dns-zone:0.8.0' = [for zone in zoneNames: {
  name: 'dns-${zone}'
  params: {
    name: zone
    location: 'global'
    tags: tags
    enableTelemetry: false
    virtualNetworkLinks: [
      {
        name: '${vnetName}-link'
        virtualNetworkResourceId: vnet.id
        registrationEnabled: false
      }
    ]
  }
}]

resource nsgDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: nsg
  properties: {
    workspaceId: workspaceId
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
  }
}

resource vnetDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vnet
  properties: {
    workspaceId: workspaceId
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
    metrics: [ { category: 'AllMetrics', enabled: true } ]
  }
}

output vnetId string = vnet.id
output subnetIds object = {
  scoringApps: vnet.properties.subnets[0].id
  controlApps: vnet.properties.subnets[1].id
  privateEndpoints: vnet.properties.subnets[2].id
  runners: vnet.properties.subnets[3].id
}
output zoneIds object = {
  cosmos: zones[0].outputs.resourceId
  blob: zones[1].outputs.resourceId
  queue: zones[2].outputs.resourceId
  vault: zones[3].outputs.resourceId
  eventgrid: zones[4].outputs.resourceId
  registry: zones[5].outputs.resourceId
}
