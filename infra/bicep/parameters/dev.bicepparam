using '../main.bicep'

param environment = 'dev'
param apiClientId = readEnvironmentVariable('VIGIL_API_CLIENT_ID')
param predictionRetentionDays = 90
param scoringPlanSku = 'EP1'
param scoringMinimumInstances = 1
