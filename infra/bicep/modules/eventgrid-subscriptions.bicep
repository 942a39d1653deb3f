// Event subscriptions, declared once in event-subscriptions.json (the local platform reads the same file):
// BlobCreated comes from the storage account's system topic, Vigil's own events from the custom topic.
// Undeliverable events go to the dead-letter container after the retry policy gives up.
param location string
param storageAccountName string
param topicName string
param controlAppName string
param scoringAppName string
param subscriptions array

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/topics@2024-06-01-preview' existing = {
  name: topicName
}

resource controlApp 'Microsoft.Web/sites@2023-12-01' existing = {
  name: controlAppName
}

resource scoringApp 'Microsoft.Web/sites@2023-12-01' existing = {
  name: scoringAppName
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  name: '${storageAccountName}/default/event-deadletter'
}

resource storageTopic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = {
  name: '${storageAccountName}-events'
  location: location
  identity: { type: 'SystemAssigned' }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

var storageSubscriptions = filter(subscriptions, s => contains(s.eventTypes, 'Microsoft.Storage.BlobCreated'))
var vigilSubscriptions = filter(subscriptions, s => !contains(s.eventTypes, 'Microsoft.Storage.BlobCreated'))

resource blobSubscriptions 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2024-06-01-preview' = [for s in storageSubscriptions: {
  parent: storageTopic
  name: s.name
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${(s.app == 'scoring' ? scoringApp.id : controlApp.id)}/functions/${s.function}'
        maxEventsPerBatch: 1
      }
    }
    filter: {
      includedEventTypes: s.eventTypes
      subjectBeginsWith: s.?subjectBeginsWith ?? ''
    }
    retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
    deadLetterDestination: {
      endpointType: 'StorageBlob'
      properties: { resourceId: storage.id, blobContainerName: 'event-deadletter' }
    }
  }
}]

resource topicSubscriptions 'Microsoft.EventGrid/topics/eventSubscriptions@2024-06-01-preview' = [for s in vigilSubscriptions: {
  parent: topic
  name: s.name
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${(s.app == 'scoring' ? scoringApp.id : controlApp.id)}/functions/${s.function}'
        maxEventsPerBatch: 1
      }
    }
    filter: {
      includedEventTypes: s.eventTypes
      subjectBeginsWith: s.?subjectBeginsWith ?? ''
    }
    retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
    deadLetterDestination: {
      endpointType: 'StorageBlob'
      properties: { resourceId: storage.id, blobContainerName: 'event-deadletter' }
    }
  }
}]
