using '../main.bicep'

// A development environment holds synthetic data only: its services stay reachable from public networks
// (still with Entra ID only, no keys), nothing is locked, and audit exports are immutable but not locked.
param environment = 'dev'
param apiClientId = readEnvironmentVariable('VIGIL_API_CLIENT_ID')
param predictionRetentionDays = 90
param scoringPlanSku = 'EP1'
param scoringMinimumInstances = 1
param privateNetworking = false
param lockResources = false
param lockAuditExportPolicy = false
param auditExportImmutabilityDays = 7
param registeredPackageImmutabilityDays = 7
param logRetentionDays = 30
param deployEventSubscriptions = bool(readEnvironmentVariable('DEPLOY_EVENT_SUBSCRIPTIONS', 'false'))
param pseudonymisationKey = readEnvironmentVariable('PSEUDONYMISATION_KEY', '')
param runFromContainerRegistry = bool(readEnvironmentVariable('RUN_FROM_REGISTRY', 'false'))
param imageTag = readEnvironmentVariable('IMAGE_TAG', 'latest')
param tags = {
  costCenter: 'vigil-dev'
}
