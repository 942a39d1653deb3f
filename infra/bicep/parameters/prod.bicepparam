using '../main.bicep'

param environment = 'prod'
param apiClientId = readEnvironmentVariable('VIGIL_API_CLIENT_ID')
param predictionRetentionDays = 2555
param scoringPlanSku = 'EP2'
param scoringMinimumInstances = 2
