using '../main.bicep'

// Production holds PHI: private endpoints only, delete locks on the stateful resources, the audit exports' WORM
// policy locked after deployment.
param environment = 'prod'
param apiClientId = readEnvironmentVariable('VIGIL_API_CLIENT_ID')
param predictionRetentionDays = 2555
param scoringPlanSku = 'EP2'
param scoringMinimumInstances = 2
param privateNetworking = true
param lockResources = true
param lockAuditExportPolicy = true
param auditExportImmutabilityDays = 2555
param logRetentionDays = 365
param deployEventSubscriptions = bool(readEnvironmentVariable('DEPLOY_EVENT_SUBSCRIPTIONS', 'false'))
param pseudonymisationKey = readEnvironmentVariable('PSEUDONYMISATION_KEY', '')
param runFromContainerRegistry = bool(readEnvironmentVariable('RUN_FROM_REGISTRY', 'false'))
param imageTag = readEnvironmentVariable('IMAGE_TAG', 'latest')
param tags = {
  costCenter: 'vigil-prod'
}
