using Sluice.Storage;

namespace Sluice.Retention;

/// <summary>
/// One kind of data the purge removes when its time has come. The engine runs every rule in registration order
/// under one lease, with one instant and one deletion budget. A rule must be idempotent (a second run finds nothing
/// left to do), resumable (a run cut off halfway is finished by the next), and must find what expired through key
/// ranges or blob tags, never by scanning everything.
/// </summary>
public interface IPurgeRule
{
    /// <summary>Short name for the run record and logs, e.g. <c>usage_rows</c>.</summary>
    string Name { get; }

    Task RunAsync(PurgeRun run, CancellationToken cancellationToken);
}
