// The stamp's customer-data account: usage rows, accounts, keys, audit and purge records in tables, encrypted
// payloads and purge leases in blobs. It lives in the stamp's region and is never replicated out of it
// (LRS or ZRS only), and the app's identity is the only principal with data access (see roles.bicep).

import { storageSecurity } from 'storageSecurity.bicep'
import { tierDays } from 'types.bicep'

param name string
param location string
param tags object

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
@description('Locally or zone-redundant only: geo-redundant SKUs copy data to the paired region.')
param skuName string

@description('Table names exactly as Sluice builds them (StorageOptions.TablePrefix + each table).')
param tableNames string[]

param payloadContainer string
param lockContainer string

@description('The encrypted data-protection key ring that keeps dashboard sessions valid across instances.')
param keyRingContainer string

@minLength(1)
@maxLength(100)
@description('One lifecycle rule per tier; a management policy holds at most 100 rules.')
param lifecycleTierDays tierDays[]

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: storageSecurity
}

// Soft delete and versioning stay off: a purged payload or row must be gone, not recoverable for N more days.
resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: false
    }
    containerDeleteRetentionPolicy: {
      enabled: false
    }
    isVersioningEnabled: false
    changeFeed: {
      enabled: false
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = [
  for container in [payloadContainer, lockContainer, keyRingContainer]: {
    parent: blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = [
  for table in tableNames: {
    parent: tableService
    name: table
  }
]

// The storage-level backstop for payload retention. Each payload blob carries a `tier` index tag: the smallest
// tier (in days) at least as long as its content retention. One rule per tier deletes blobs of that tier once
// they are more than that many days old, so the backstop never deletes early and always deletes eventually.
// The app's own purge enforces the exact day; lifecycle runs take up to 24 h to start and give no completion time.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        for days in lifecycleTierDays: {
          name: 'tier${days}days'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${payloadContainer}/'
              ]
              blobIndexMatch: [
                {
                  name: 'tier'
                  op: '=='
                  value: string(days)
                }
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterCreationGreaterThan: days
                }
              }
            }
          }
        }
      ]
    }
  }
}

output name string = storage.name
