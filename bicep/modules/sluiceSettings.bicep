// The defaults of every Sluice setting an operator may tune, as app settings (section:Key becomes
// section__Key). They equal the defaults in the options classes of src/Sluice.Core; the deploy tests bind these
// values with the real configuration binder and fail on any difference or any missing setting.
// Change a deployment with the appSettings parameter (main.parameters.json), not here.

@export()
@description('Tunable Sluice app settings and their defaults.')
var sluiceDefaults = {
  // RetentionOptions (Sluice:Retention). LifecycleTiers is not here: it comes from lifecycleTierDays, which also
  // generates the storage lifecycle rules, so the two cannot disagree.
  Sluice__Retention__DefaultContentMode: 'metadata_only'
  Sluice__Retention__DefaultContentRetentionDays: '30'
  Sluice__Retention__MinContentRetentionDays: '0'
  Sluice__Retention__MaxContentRetentionDays: '365'
  Sluice__Retention__DefaultUsageRetentionDays: '90'
  Sluice__Retention__MinUsageRetentionDays: '1'
  Sluice__Retention__MaxUsageRetentionDays: '365'
  Sluice__Retention__RollupRetentionDays: '400'
  Sluice__Retention__RollupCloseDelay: '01:00:00'
  // PayloadOptions (Sluice:Payloads); the master key itself is a Key Vault reference in functionApp.bicep.
  Sluice__Payloads__DataKeyCacheTtl: '00:01:00'
  Sluice__Retention__AuditRetentionDays: '365'
  Sluice__Retention__PurgeBatchSize: '100'
  Sluice__Retention__MaxDeletesPerRun: '200000'
  Sluice__Retention__PayloadMaxBytes: '1048576'

  // AccountOptions (Sluice:Accounts)
  Sluice__Accounts__ExpiredRetentionDays: '30'
  Sluice__Accounts__SuspensionGraceDays: '14'
  Sluice__Accounts__AuthCacheTtl: '00:00:30'
  Sluice__Accounts__FailedAuthLimit: '20'
  Sluice__Accounts__FailedAuthWindow: '00:01:00'
  Sluice__Accounts__UnknownKeyCacheSize: '10000'
  Sluice__Accounts__AuditCoalesceWindow: '00:01:00'

  // DataPolicyOptions (Sluice:DataPolicy)
  Sluice__DataPolicy__InRegionOnly: 'true'
  Sluice__DataPolicy__ZeroRetentionOnly: 'false'
  Sluice__DataPolicy__AllowTraining: 'false'
  Sluice__DataPolicy__EnforceAsFloor: 'false'

  // ProxyOptions (Sluice:Proxy). TrustForwardedFor is set by the stamp (always true behind the Functions front end).
  Sluice__Proxy__MaxRequestBodyBytes: '16777216'
  Sluice__Proxy__ConnectTimeout: '00:00:10'
  Sluice__Proxy__UpstreamConnectionLifetime: '00:05:00'
  Sluice__Proxy__UpstreamTimeout: '00:02:00'
  Sluice__Proxy__RetryAttempts: '2'
  Sluice__Proxy__RetryBaseDelay: '00:00:00.2500000'
  Sluice__Proxy__RetryMaxDelay: '00:00:05'
  Sluice__Proxy__StreamHeartbeatInterval: '00:00:30'
  Sluice__Proxy__ForwardedHopCount: '1'

  // SignInOptions (Sluice:SignIn): a dashboard session lasts at most 24 hours from sign-in. Providers come from the
  // signInProviders parameter (functionApp.bicep), their client secrets from Key Vault.
  Sluice__SignIn__SessionLifetime: '1.00:00:00'

  // UsageOptions (Sluice:Usage). PartitionShards is fixed for the life of a deployment.
  Sluice__Usage__PartitionShards: '4'
  Sluice__Usage__MaxConcurrentCommits: '8'
  Sluice__Usage__QueueCapacity: '20000'
  // An invocation awaits its row's commit: a Flex instance may be frozen once no invocation runs.
  Sluice__Usage__WaitForCommit: 'True'
  // ... and the end of each answer waits for it too, so a crash never leaves an answered request without its row.
  Sluice__Usage__HoldAnswerEndUntilCommit: 'True'
  Sluice__Usage__GatherDelay: '00:00:00'
  Sluice__Usage__WriteAttempts: '6'
  Sluice__Usage__WriteRetryDelay: '00:00:00.2000000'

  // FairUseOptions (Sluice:FairUse): budgets in USD per UTC day/month, rates per minute; 0 is none (docs/fair-use.md).
  Sluice__FairUse__Enabled: 'True'
  Sluice__FairUse__SoftThresholdPercent: '80'
  Sluice__FairUse__RefreshInterval: '00:00:15'
  Sluice__FairUse__LeaseShares: '10'
  Sluice__FairUse__DefaultKeyDailyBudgetUsd: '0'
  Sluice__FairUse__DefaultKeyMonthlyBudgetUsd: '0'
  Sluice__FairUse__DefaultAccountDailyBudgetUsd: '0'
  Sluice__FairUse__DefaultAccountMonthlyBudgetUsd: '0'
  Sluice__FairUse__MaxDailyBudgetUsd: '0'
  Sluice__FairUse__MaxMonthlyBudgetUsd: '0'
  Sluice__FairUse__DefaultKeyRequestsPerMinute: '0'
  Sluice__FairUse__DefaultKeyTokensPerMinute: '0'
  Sluice__FairUse__DefaultAccountRequestsPerMinute: '0'
  Sluice__FairUse__DefaultAccountTokensPerMinute: '0'
  Sluice__FairUse__MaxRequestsPerMinute: '0'
  Sluice__FairUse__MaxTokensPerMinute: '0'
}
