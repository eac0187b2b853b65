using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.Deploy.Tests.Bicep;
using Sluice.Stamp;
using Sluice.Storage;

namespace Sluice.Deploy.Tests.Stamp;

/// <summary>What one stamp consists of, asserted on the resources <c>bicep snapshot</c> predicts for main.bicep.</summary>
public sealed class StampResourceTests
{
    private static readonly string[] s_geoRedundant = ["Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"];

    [Fact]
    public async Task EveryRegionalResource_IsInTheStampsLocationParameter()
    {
        var (stamp, _) = await Deployments.EuReprovision;

        Assert.Equal("germanywestcentral", (string)stamp.Parameters["location"]!);
        Assert.All(stamp.Resources, resource =>
        {
            var type = (string)resource["type"]!;
            // Top-level resources are regional; child and extension resources (secrets, role assignments) have no
            // location of their own and live where their parent does.
            var topLevel = type.Split('/').Length == 2 && !type.StartsWith("Microsoft.Authorization/", StringComparison.Ordinal);
            if (topLevel || resource["location"] is not null)
            {
                Assert.True((string?)resource["location"] == "germanywestcentral", $"{type} {resource["name"]} is in {resource["location"]}");
            }
        });
    }

    [Fact]
    public async Task FirstProvision_WithNothingSet_IsAUsStampInWestus()
    {
        var (stamp, _) = await Deployments.FirstUsProvision;

        Assert.Equal("westus", (string)stamp.Single("Microsoft.Resources/resourceGroups")["location"]!);
        Assert.Equal("westus", (string)stamp.FunctionApp["location"]!);
        Assert.Equal("us", stamp.Output("SLUICE_DATA_REGION"));
        Assert.Equal("us", stamp.AppSettings["Sluice__DataRegion"]);
    }

    [Fact]
    public async Task EveryStorageAccount_AcceptsOnlyEntraId_OverTls12_WithNoAnonymousAccess()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var accounts = stamp.OfType("Microsoft.Storage/storageAccounts").ToList();

        Assert.Equal(2, accounts.Count);
        Assert.All(accounts, account =>
        {
            var properties = account["properties"]!;
            Assert.False((bool)properties["allowSharedKeyAccess"]!);
            Assert.False((bool)properties["allowBlobPublicAccess"]!);
            Assert.False((bool)properties["allowCrossTenantReplication"]!);
            Assert.True((bool)properties["defaultToOAuthAuthentication"]!);
            Assert.True((bool)properties["supportsHttpsTrafficOnly"]!);
            Assert.Equal("TLS1_2", (string)properties["minimumTlsVersion"]!);
            Assert.DoesNotContain((string)account["sku"]!["name"]!, s_geoRedundant);
        });
    }

    [Fact]
    public async Task DataAccount_KeepsNoDeletedOrOlderCopies()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var blobService = Assert.Single(stamp.OfType("Microsoft.Storage/storageAccounts/blobServices"), s => ((string)s["name"]!).StartsWith("stdata", StringComparison.Ordinal));

        var properties = blobService["properties"]!;
        Assert.False((bool)properties["deleteRetentionPolicy"]!["enabled"]!);
        Assert.False((bool)properties["containerDeleteRetentionPolicy"]!["enabled"]!);
        Assert.False((bool)properties["isVersioningEnabled"]!);
    }

    [Fact]
    public async Task DataAccount_HasTheTablesAndContainersTheCodeOpens()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var storage = new SluiceStorage(Options.Create(new StorageOptions { ConnectionString = "UseDevelopmentStorage=true" }), Options.Create(new StampOptions()));
        string Leaf(JsonObject resource) => ((string)resource["name"]!).Split('/')[^1];

        var tables = stamp.OfType("Microsoft.Storage/storageAccounts/tableServices/tables").Select(Leaf).Order().ToList();
        var containers = stamp.OfType("Microsoft.Storage/storageAccounts/blobServices/containers")
            .Where(c => ((string)c["name"]!).StartsWith("stdata", StringComparison.Ordinal)).ToList();

        Assert.Equal(storage.AllTables.Select(t => t.Name).Order(), tables);
        Assert.Equal(new[] { storage.Payloads.Name, storage.Locks.Name, storage.KeyRing.Name }.Order(), containers.Select(Leaf).Order());
        Assert.All(containers, c => Assert.Equal("None", (string)c["properties"]!["publicAccess"]!));
        var defaults = new StorageOptions();
        Assert.Equal(defaults.TablePrefix, stamp.AppSettings["Sluice__Storage__TablePrefix"]);
        Assert.Equal(defaults.PayloadContainer, stamp.AppSettings["Sluice__Storage__PayloadContainer"]);
        Assert.Equal(defaults.LockContainer, stamp.AppSettings["Sluice__Storage__LockContainer"]);
        Assert.Equal(defaults.KeyRingContainer, stamp.AppSettings["Sluice__Storage__KeyRingContainer"]);
    }

    [Fact]
    public async Task LifecycleRules_OnePerTier_DeleteTaggedPayloadsAfterThatManyDays()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var tiers = new RetentionOptions().ParsedTiers();
        var policy = stamp.Single("Microsoft.Storage/storageAccounts/managementPolicies");
        var rules = policy["properties"]!["policy"]!["rules"]!.AsArray().Select(r => r!).ToList();

        Assert.StartsWith("stdata", (string)policy["name"]!, StringComparison.Ordinal);
        Assert.Equal(string.Join(',', tiers), stamp.AppSettings["Sluice__Retention__LifecycleTiers"]);
        Assert.Equal(tiers.Count, rules.Count);
        Assert.InRange(rules.Count, 1, 100);
        Assert.All(tiers.Zip(rules), pair =>
        {
            var (days, rule) = pair;
            Assert.True((bool)rule["enabled"]!);
            Assert.Equal("Lifecycle", (string)rule["type"]!);
            var filters = rule["definition"]!["filters"]!;
            Assert.Equal(["blockBlob"], filters["blobTypes"]!.AsArray().Select(t => (string)t!));
            Assert.Equal([$"{new StorageOptions().PayloadContainer}/"], filters["prefixMatch"]!.AsArray().Select(p => (string)p!));
            var match = Assert.Single(filters["blobIndexMatch"]!.AsArray())!;
            Assert.Equal(("tier", "==", days.ToString()), ((string)match["name"]!, (string)match["op"]!, (string)match["value"]!));
            var delete = rule["definition"]!["actions"]!["baseBlob"]!["delete"]!.AsObject();
            Assert.Equal(days, (int)Assert.Single(delete, d => d.Key == "daysAfterCreationGreaterThan").Value!);
            Assert.Single(delete);
        });
    }

    [Fact]
    public async Task AppIdentity_HasExactlyTheRolesTheCodeNeeds_EachOnOneResource()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var identity = (string)stamp.Single("Microsoft.ManagedIdentity/userAssignedIdentities")["id"]!;

        var granted = RoleAssignments(stamp).Where(a => a.PrincipalId.Contains(identity, StringComparison.Ordinal)).ToList();

        Assert.All(granted, a => Assert.Equal("ServicePrincipal", a.PrincipalType));
        (string, string)[] expected =
        [
            // Blob Owner on the data account: blob index tags (tags/read, tags/write, filter/action) need it.
            ("Microsoft.Storage/storageAccounts:stdata", Roles.StorageBlobDataOwner),
            ("Microsoft.Storage/storageAccounts:stdata", Roles.StorageTableDataContributor),
            // Blob Owner on the host account: the minimum the Functions docs and the Flex quickstart grant for an
            // identity-based AzureWebJobsStorage (Contributor there is the deployment container's need only).
            ("Microsoft.Storage/storageAccounts:sthost", Roles.StorageBlobDataOwner),
            ("Microsoft.KeyVault/vaults", Roles.KeyVaultSecretsUser),
            ("Microsoft.Insights/components", Roles.MonitoringMetricsPublisher),
        ];
        Assert.Equal(expected.Order(), granted.Select(a => (a.ScopeKind, a.Role)).Order());
    }

    [Fact]
    public async Task NoAssignment_IsBroaderThanOneResource_OrAnAdministrativeRole()
    {
        var stamp = await Deployments.Customised;

        Assert.All(RoleAssignments(stamp), a =>
        {
            Assert.Contains("/providers/Microsoft.", a.Scope, StringComparison.Ordinal);
            Assert.DoesNotContain(a.Role, new[] { Roles.Owner, Roles.Contributor, Roles.UserAccessAdministrator });
        });
    }

    [Fact]
    public async Task DeployingUser_GetsOnlySecretsOfficerOnTheVault()
    {
        var (stamp, _) = await Deployments.EuReprovision;

        var deployer = Assert.Single(RoleAssignments(stamp), a => a.PrincipalId == Deployments.PrincipalId);
        Assert.Equal(("Microsoft.KeyVault/vaults", Roles.KeyVaultSecretsOfficer, "User"), (deployer.ScopeKind, deployer.Role, deployer.PrincipalType));
    }

    [Fact]
    public async Task FunctionApp_RunsDotnetIsolated10_OnFlexConsumption_SizedByParameters()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var plan = stamp.Single("Microsoft.Web/serverfarms");
        var config = stamp.FunctionApp["properties"]!["functionAppConfig"]!;

        Assert.Equal(("FC1", "FlexConsumption"), ((string)plan["sku"]!["name"]!, (string)plan["sku"]!["tier"]!));
        Assert.True((bool)plan["properties"]!["reserved"]!);
        Assert.Equal("functionapp,linux", (string)stamp.FunctionApp["kind"]!);
        Assert.Equal(("dotnet-isolated", "10.0"), ((string)config["runtime"]!["name"]!, (string)config["runtime"]!["version"]!));
        // SLUICE_INSTANCE_MEMORY_MB=4096 and SLUICE_MAXIMUM_INSTANCE_COUNT=40 in this environment.
        Assert.Equal(4096, (int)config["scaleAndConcurrency"]!["instanceMemoryMB"]!);
        Assert.Equal(40, (int)config["scaleAndConcurrency"]!["maximumInstanceCount"]!);
        var (first, _) = await Deployments.FirstUsProvision;
        Assert.Equal(2048, (int)first.FunctionApp["properties"]!["functionAppConfig"]!["scaleAndConcurrency"]!["instanceMemoryMB"]!);
        Assert.Equal(100, (int)first.FunctionApp["properties"]!["functionAppConfig"]!["scaleAndConcurrency"]!["maximumInstanceCount"]!);
    }

    [Fact]
    public async Task FunctionApp_DeploysAndRunsAsItsUserAssignedIdentity()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var identity = (string)stamp.Single("Microsoft.ManagedIdentity/userAssignedIdentities")["id"]!;
        var app = stamp.FunctionApp;
        var deployment = app["properties"]!["functionAppConfig"]!["deployment"]!["storage"]!;

        Assert.Equal("UserAssigned", (string)app["identity"]!["type"]!);
        Assert.Equal([identity], app["identity"]!["userAssignedIdentities"]!.AsObject().Select(i => i.Key));
        Assert.Equal(identity, (string)app["properties"]!["keyVaultReferenceIdentity"]!);
        Assert.Equal("blobContainer", (string)deployment["type"]!);
        Assert.Contains("sthost", (string)deployment["value"]!, StringComparison.Ordinal);
        Assert.Equal(("UserAssignedIdentity", identity),
            ((string)deployment["authentication"]!["type"]!, (string)deployment["authentication"]!["userAssignedIdentityResourceId"]!));
    }

    [Fact]
    public async Task FunctionApp_IsHttpsOnly_Tls12_WithFtpOff()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var properties = stamp.FunctionApp["properties"]!;

        Assert.True((bool)properties["httpsOnly"]!);
        Assert.Equal("1.2", (string)properties["siteConfig"]!["minTlsVersion"]!);
        Assert.Equal("1.2", (string)properties["siteConfig"]!["scmMinTlsVersion"]!);
        Assert.Equal("Disabled", (string)properties["siteConfig"]!["ftpsState"]!);
    }

    [Fact]
    public async Task KeyVault_UsesRbac_WithPurgeProtection()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var properties = stamp.Single("Microsoft.KeyVault/vaults")["properties"]!;

        Assert.True((bool)properties["enableRbacAuthorization"]!);
        Assert.True((bool)properties["enablePurgeProtection"]!);
        Assert.True((bool)properties["enableSoftDelete"]!);
        Assert.Null(properties["accessPolicies"]);
    }

    [Fact]
    public async Task Monitoring_AcceptsOnlyEntraAuthenticatedTelemetry()
    {
        var (stamp, _) = await Deployments.EuReprovision;
        var insights = stamp.Single("Microsoft.Insights/components");

        Assert.True((bool)insights["properties"]!["DisableLocalAuth"]!);
        Assert.Equal((string)stamp.Single("Microsoft.OperationalInsights/workspaces")["id"]!, (string)insights["properties"]!["WorkspaceResourceId"]!);
        Assert.Matches(@"^\[format\('ClientId=\{0\};Authorization=AAD', reference\('[^']+/userAssignedIdentities/", stamp.AppSettings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        Assert.Contains("/providers/Microsoft.Insights/components/", stamp.AppSettings["APPLICATIONINSIGHTS_CONNECTION_STRING"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outputs_GiveTheFunctionBaseUrl_AndTheDataRegion()
    {
        var (stamp, _) = await Deployments.EuReprovision;

        Assert.Equal("eu", stamp.Output("SLUICE_DATA_REGION"));
        Assert.Matches(@"^\[format\('https://\{0\}', reference\('[^']+/Microsoft\.Web/sites/func-sluice-[a-z0-9]+', '[0-9-]+'\)\.defaultHostName\)\]$", stamp.Output("SLUICE_URL"));
        Assert.Equal((string)stamp.Single("Microsoft.KeyVault/vaults")["name"]!, stamp.Output("AZURE_KEY_VAULT_NAME"));
        Assert.Equal((string)stamp.FunctionApp["name"]!, stamp.Output("AZURE_FUNCTION_NAME"));
    }

    [Fact]
    public async Task Tags_LetAzdFindTheEnvironment_AndTheApp()
    {
        var (stamp, _) = await Deployments.EuReprovision;

        Assert.Equal("sluice-eu", (string)stamp.Single("Microsoft.Resources/resourceGroups")["tags"]!["azd-env-name"]!);
        Assert.Equal(AzureYamlTests.ServiceName, (string)stamp.FunctionApp["tags"]!["azd-service-name"]!);
    }

    private static IEnumerable<RoleAssignment> RoleAssignments(StampSnapshot stamp) =>
        stamp.OfType("Microsoft.Authorization/roleAssignments").Select(a =>
        {
            // The id is "<scope>/providers/Microsoft.Authorization/roleAssignments/<name>", possibly inside an
            // extensionResourceId('<scope>', ...) expression while the name depends on a runtime value.
            var id = (string)a["id"]!;
            var scope = id.StartsWith("[extensionResourceId('", StringComparison.Ordinal)
                ? id["[extensionResourceId('".Length..id.IndexOf('\'', "[extensionResourceId('".Length)]
                : id[..id.IndexOf("/providers/Microsoft.Authorization/", StringComparison.Ordinal)];
            var properties = a["properties"]!;
            return new RoleAssignment(scope, ((string)properties["roleDefinitionId"]!).Split('/')[^1],
                (string)properties["principalId"]!, (string)properties["principalType"]!);
        });

    private sealed record RoleAssignment(string Scope, string Role, string PrincipalId, string PrincipalType)
    {
        /// <summary>The scope's resource type, with the storage account's name prefix to tell host from data.</summary>
        public string ScopeKind
        {
            get
            {
                var parts = Scope.Split('/');
                var type = $"{parts[^3]}/{parts[^2]}";
                return type == "Microsoft.Storage/storageAccounts" ? $"{type}:{parts[^1][..6]}" : type;
            }
        }
    }

    private static class Roles
    {
        public const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
        public const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
        public const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";
        public const string KeyVaultSecretsOfficer = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
        public const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";
        public const string Owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
        public const string Contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c";
        public const string UserAccessAdministrator = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";
    }
}
