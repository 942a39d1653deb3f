// What operators watch and are woken by: the Azure Monitor workbooks under workbooks/ (scoring health, canaries,
// monitoring, governance and audit), log alerts over the Application Insights tables in the Log Analytics workspace,
// metric alerts on Event Grid's dead-lettering and on the scoring app's health check, and the action group they
// notify. Every metric, span and dimension the queries name is in Vigil's telemetry catalogue (docs/telemetry.md);
// WorkbookQueriesTest keeps them in line.

@description('Azure region for the workbooks and alert rules (action groups are global).')
param location string

@description('Prefix for resource names, as in main.bicep.')
param prefix string

@description('Short environment name: dev, test or prod.')
param environment string

@description('Name of the Log Analytics workspace behind Application Insights (AppRequests, AppMetrics, AppDependencies).')
param logAnalyticsName string

@description('Name of Vigil\'s Event Grid custom topic, whose dead-lettered deliveries raise an alert.')
param topicName string

@description('Name of the storage account\'s Event Grid system topic (BlobCreated), whose dead-lettered deliveries raise an alert.')
param storageTopicName string

@description('Name of the scoring Function App, whose failed health checks raise an alert.')
param scoringAppName string

@description('E-mail addresses the action group notifies; empty creates the group without receivers.')
param alertEmailAddresses array = []

@description('Scoring requests answered with a 5xx in 5 minutes that raise an alert.')
@minValue(1)
param scoringServerErrorThreshold int = 5

@description('95th percentile of time in the model runtime, in milliseconds, above which a model raises an alert.')
@minValue(1)
param scoringP95LatencyMs int = 250

@description('Whether the alert rules evaluate; turn off for an environment nobody is on call for.')
param alertsEnabled bool = true

@description('Tags for every resource this module creates.')
param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logAnalyticsName
}

resource topic 'Microsoft.EventGrid/topics@2024-06-01-preview' existing = {
  name: topicName
}

resource storageTopic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' existing = {
  name: storageTopicName
}

resource scoringApp 'Microsoft.Web/sites@2023-12-01' existing = {
  name: scoringAppName
}

// The workbook files name their data source as a placeholder, so the same file imports anywhere.
var workbookSource = '__VIGIL_WORKSPACE_ID__'
var workbookDefinitions = [
  {
    key: 'scoring-health'
    title: 'Vigil: scoring health (${environment})'
    content: loadTextContent('../../../workbooks/scoring-health.json')
  }
  {
    key: 'canaries'
    title: 'Vigil: canaries (${environment})'
    content: loadTextContent('../../../workbooks/canaries.json')
  }
  {
    key: 'monitoring'
    title: 'Vigil: monitoring (${environment})'
    content: loadTextContent('../../../workbooks/monitoring.json')
  }
  {
    key: 'governance'
    title: 'Vigil: governance and audit (${environment})'
    content: loadTextContent('../../../workbooks/governance.json')
  }
]

resource workbooks 'Microsoft.Insights/workbooks@2023-06-01' = [for w in workbookDefinitions: {
  name: guid(resourceGroup().id, prefix, environment, w.key)
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: w.title
    category: 'workbook'
    sourceId: workspace.id
    serializedData: replace(w.content, workbookSource, workspace.id)
  }
}]

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${prefix}-ops-${environment}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('vigil${environment}', 12)
    enabled: true
    emailReceivers: [for (address, i) in alertEmailAddresses: {
      name: 'ops-${i}'
      emailAddress: address
      useCommonAlertSchema: true
    }]
  }
}

// Log alerts. Each query yields one numeric column (measure), per model where a model is known (dimension), over
// the rule's window; the rule fires when the column's total or maximum reaches (or, for latency, exceeds) the
// threshold.
var logAlerts = [
  {
    name: 'scoring-5xx'
    severity: 1
    description: 'Scoring requests answered with a server error (5xx). Runbook: docs/runbooks/alerts.md#scoring-5xx'
    window: 'PT5M'
    aggregation: 'Total'
    measure: 'failures'
    dimensions: []
    operator: 'GreaterThanOrEqual'
    threshold: scoringServerErrorThreshold
    query: '''
AppRequests
| where Name in ("Score", "Infer", "InferVersion")
| where ResultCode startswith "5"
| summarize failures = sum(ItemCount)
'''
  }
  {
    name: 'scoring-p95-latency'
    severity: 2
    description: '95th percentile of time in the model runtime of a model\'s live slots (stable, canary) above the threshold. Runbook: docs/runbooks/alerts.md#scoring-p95-latency'
    window: 'PT15M'
    aggregation: 'Maximum'
    measure: 'p95_ms'
    dimensions: [ 'model' ]
    operator: 'GreaterThan'
    threshold: scoringP95LatencyMs
    query: '''
AppDependencies
| where Name == "vigil.score"
| where tostring(Properties["vigil.traffic_slot"]) != "shadow"
| extend model = tostring(Properties["vigil.model.name"])
| summarize p95_ms = percentile(DurationMs, 95) by model
'''
  }
  {
    name: 'event-publish-failures'
    severity: 2
    description: 'Vigil could not hand events to Event Grid after retries. Runbook: docs/runbooks/alerts.md#event-publish-failures'
    window: 'PT15M'
    aggregation: 'Total'
    measure: 'failed'
    dimensions: []
    operator: 'GreaterThanOrEqual'
    threshold: 1
    query: '''
AppMetrics
| where Name == "vigil.events"
| where tostring(Properties["vigil.outcome"]) == "failed"
| summarize failed = sum(Sum)
'''
  }
  {
    name: 'background-function-failures'
    severity: 2
    description: 'An event-, queue- or timer-triggered function failed (batch partitions, registration, gates, monitoring, retraining, canary ramps, audit exports, retention, outcome files). Runbook: docs/runbooks/alerts.md#background-function-failures'
    window: 'PT15M'
    aggregation: 'Total'
    measure: 'failures'
    dimensions: [ 'operation' ]
    operator: 'GreaterThanOrEqual'
    threshold: 1
    query: '''
AppMetrics
| where Name == "vigil.errors"
| extend operation = tostring(Properties["vigil.operation"])
| where operation in ("AdvanceCanary", "AuditAnchor", "AuditDailyExport", "CanaryController", "DriftCheck", "DriftCheckPartition", "EvaluateGates", "FailAbandonedBatchPartition", "IngestOutcomes", "PredictionRetention", "RegisterModel", "Retrain", "ScoreBatchPartition", "StartBatchOnUpload")
| summarize failures = sum(Sum) by operation
'''
  }
  {
    name: 'registration-rejected'
    severity: 3
    description: 'A model package was rejected at registration. Runbook: docs/runbooks/alerts.md#registration-rejected'
    window: 'PT15M'
    aggregation: 'Total'
    measure: 'rejected'
    dimensions: []
    operator: 'GreaterThanOrEqual'
    threshold: 1
    query: '''
AppMetrics
| where Name == "vigil.registrations"
| where tostring(Properties["vigil.outcome"]) == "rejected"
| summarize rejected = sum(Sum)
'''
  }
  {
    name: 'gates-failed'
    severity: 3
    description: 'A model version failed its gates. Runbook: docs/runbooks/alerts.md#gates-failed'
    window: 'PT15M'
    aggregation: 'Total'
    measure: 'failed'
    dimensions: [ 'model' ]
    operator: 'GreaterThanOrEqual'
    threshold: 1
    query: '''
AppMetrics
| where Name == "vigil.events"
| where tostring(Properties["vigil.event.type"]) == "Vigil.Gates.Failed"
| where tostring(Properties["vigil.outcome"]) == "published"
| extend model = tostring(Properties["vigil.model.name"])
| summarize failed = sum(Sum) by model
'''
  }
  {
    name: 'canary-rolled-back'
    severity: 2
    description: 'A canary was rolled back. Runbook: docs/runbooks/alerts.md#canary-rolled-back'
    window: 'PT15M'
    aggregation: 'Total'
    measure: 'rollbacks'
    dimensions: [ 'model' ]
    operator: 'GreaterThanOrEqual'
    threshold: 1
    query: '''
AppMetrics
| where Name == "vigil.events"
| where tostring(Properties["vigil.event.type"]) == "Vigil.Canary.RolledBack"
| where tostring(Properties["vigil.outcome"]) == "published"
| extend model = tostring(Properties["vigil.model.name"])
| summarize rollbacks = sum(Sum) by model
'''
  }
  {
    name: 'drift-detected'
    severity: 2
    description: 'Drift was detected on a deployed model. Runbook: docs/runbooks/alerts.md#drift-detected'
    window: 'PT1H'
    aggregation: 'Total'
    measure: 'detections'
    dimensions: [ 'model' ]
    operator: 'GreaterThanOrEqual'
    threshold: 1
    query: '''
AppMetrics
| where Name == "vigil.events"
| where tostring(Properties["vigil.event.type"]) == "Vigil.Drift.Detected"
| where tostring(Properties["vigil.outcome"]) == "published"
| extend model = tostring(Properties["vigil.model.name"])
| summarize detections = sum(Sum) by model
'''
  }
  {
    name: 'audit-chain-broken'
    severity: 1
    description: 'An audit chain verification found a broken chain. Runbook: docs/runbooks/alerts.md#audit-chain-broken'
    window: 'PT1H'
    aggregation: 'Total'
    measure: 'broken'
    dimensions: []
    operator: 'GreaterThanOrEqual'
    threshold: 1
    query: '''
AppMetrics
| where Name == "vigil.audit.verifications"
| where tostring(Properties["vigil.outcome"]) == "broken"
| summarize broken = sum(Sum)
'''
  }
]

resource logAlertRules 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [for a in logAlerts: {
  name: '${prefix}-${a.name}-${environment}'
  location: location
  tags: tags
  properties: {
    displayName: 'Vigil ${environment}: ${a.name}'
    description: a.description
    severity: a.severity
    enabled: alertsEnabled
    scopes: [ workspace.id ]
    evaluationFrequency: 'PT5M'
    windowSize: a.window
    criteria: {
      allOf: [
        {
          query: a.query
          timeAggregation: a.aggregation
          metricMeasureColumn: a.measure
          dimensions: [for d in a.dimensions: { name: d, operator: 'Include', values: [ '*' ] }]
          operator: a.operator
          threshold: a.threshold
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: { actionGroups: [ actionGroup.id ] }
  }
}]

// Deliveries Event Grid gave up on land in the event-deadletter container; its platform metric says so at once.
var deadLetterAlerts = [
  { name: 'vigil-topic', scope: topic.id, type: 'Microsoft.EventGrid/topics' }
  { name: 'storage-topic', scope: storageTopic.id, type: 'Microsoft.EventGrid/systemTopics' }
]

resource deadLetterRules 'Microsoft.Insights/metricAlerts@2018-03-01' = [for d in deadLetterAlerts: {
  name: '${prefix}-dead-lettered-${d.name}-${environment}'
  location: 'global'
  tags: tags
  properties: {
    description: 'Event Grid dead-lettered deliveries of the ${d.name}. Runbook: docs/runbooks/dead-lettered-events.md'
    severity: 2
    enabled: alertsEnabled
    scopes: [ d.scope ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    targetResourceType: d.type
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'dead-lettered'
          metricNamespace: d.type
          metricName: 'DeadLetteredCount'
          timeAggregation: 'Total'
          operator: 'GreaterThan'
          threshold: 0
        }
      ]
    }
    autoMitigate: true
    actions: [ { actionGroupId: actionGroup.id } ]
  }
}]

// App Service calls the scoring app's health check (/v2/health/ready) on every instance each minute and reports the
// share of instances that answered healthy. A host that is down or cannot start (its storage, Key Vault or identity
// refused, a host ID collision) records no request at all, so the 5xx alert never sees it; this one does.
resource scoringHealthRule 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${prefix}-scoring-unhealthy-${environment}'
  location: 'global'
  tags: tags
  properties: {
    description: 'Scoring app instances fail the health check. Runbook: docs/runbooks/alerts.md#scoring-unhealthy'
    severity: 1
    enabled: alertsEnabled
    scopes: [ scoringApp.id ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    targetResourceType: 'Microsoft.Web/sites'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'unhealthy'
          metricNamespace: 'Microsoft.Web/sites'
          metricName: 'HealthCheckStatus'
          timeAggregation: 'Average'
          operator: 'LessThan'
          threshold: 100
        }
      ]
    }
    autoMitigate: true
    actions: [ { actionGroupId: actionGroup.id } ]
  }
}

output workbookIds array = [for (w, i) in workbookDefinitions: workbooks[i].id]
output actionGroupId string = actionGroup.id
