// Private endpoints in the network's `private-endpoints` subnet, each registered in its service's private DNS
// zone, through the Azure Verified Module for private endpoints.
@description('Azure region of the endpoints.')
param location string

@description('Resource id of the subnet the endpoints get their addresses from.')
param subnetId string

@description('The endpoints: objects with name, resourceId (the service), groupId (its sub-resource) and zoneId.')
param endpoints array

@description('Tags for every resource.')
param tags object

module endpoint 'br/public:avm/res/network/private-endpoint:0.11.0' = [for e in endpoints: {
  name: 'pe-${e.name}'
  params: {
    name: 'pe-${e.name}'
    location: location
    tags: tags
    enableTelemetry: false
    subnetResourceId: subnetId
    privateLinkServiceConnections: [
      {
        name: e.name
        properties: {
          privateLinkServiceId: e.resourceId
          groupIds: [ e.groupId ]
        }
      }
    ]
    privateDnsZoneGroup: {
      privateDnsZoneGroupConfigs: [ { privateDnsZoneResourceId: e.zoneId } ]
    }
  }
}]
