namespace Sluice.FairUse;

/// <summary>
/// What the Azure SDK throws when the stamp's storage cannot be reached or refuses a call: a
/// <see cref="Azure.RequestFailedException"/>, or an <see cref="AggregateException"/> of them once its retries are spent
/// on a refused connection, or a timeout. Fair use decides for each of these what an unknown limit means (see
/// docs/fair-use.md, "When storage cannot be reached"); a cancellation of the request itself is not one of them.
/// </summary>
internal static class StorageFailure
{
    public static bool Is(Exception e, CancellationToken cancellationToken) => e switch
    {
        Azure.RequestFailedException or AggregateException or HttpRequestException or IOException or TimeoutException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };
}
