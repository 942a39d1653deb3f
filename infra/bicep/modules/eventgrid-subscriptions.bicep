// Event subscriptions, declared once in event-subscriptions.json (the local platform reads the same file):
// BlobCreated comes from the storage account's system topic, Vigil's own events from the custom topic. Azure
// validates a subscription against the function it names, so main.bicep deploys this module only with
// `deployEventSubscriptions`, once the code is deployed (the deploy workflow's last job). Undeliverable events
// go to the `event-deadletter` container after the retry policy gives up, written with the topic's own identity
// (shared keys are off) in blobs named under the subscription's name in capitals. An event a function refuses for
// good (400, 401, 403, 413) is not retried: the function completes its delivery and keeps it in the same container
// itself, under `refused/{function}/` (health.vigil.functions.common.RefusedEvents).
@description('Name of the storage account with the dead-letter container.')
param storageAccountName string

@description('Name of the Event Grid custom topic.')
param topicName string

@description('Name of the storage account\'s Event Grid system topic.')
param storageTopicName string

@description('Name of the control Function App.')
param controlAppName string

@description('Name of the scoring Function App.')
param scoringAppName string

@description('The subscriptions: name, function, app (scoring or control), eventTypes, optional subjectBeginsWith.')
param subscriptions array

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/topics@2024-06-01-preview' existing = {
  name: topicName
}

resource storageTopic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' existing = {
  name: storageTopicName
}

resource controlApp 'Microsoft.Web/sites@2023-12-01' existing = {
  name: controlAppName
}

resource scoringApp 'Microsoft.Web/sites@2023-12-01' existing = {
  name: scoringAppName
}

var storageSubscriptions = filter(subscriptions, s => contains(s.eventTypes, 'Microsoft.Storage.BlobCreated'))
var vigilSubscriptions = filter(subscriptions, s => !contains(s.eventTypes, 'Microsoft.Storage.BlobCreated'))

var retryPolicy = { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
var deadLetter = {
  identity: { type: 'SystemAssigned' }
  deadLetterDestination: {
    endpointType: 'StorageBlob'
    properties: { resourceId: storage.id, blobContainerName: 'event-deadletter' }
  }
}

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
    retryPolicy: retryPolicy
    deadLetterWithResourceIdentity: deadLetter
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
    retryPolicy: retryPolicy
    deadLetterWithResourceIdentity: deadLetter
  }
}]
