// The custom topic Vigil publishes its own events to, in the CloudEvents 1.0 schema; key auth is off.
param location string
param topicName string

resource topic 'Microsoft.EventGrid/topics@2024-06-01-preview' = {
  name: topicName
  location: location
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

output endpoint string = topic.properties.endpoint
