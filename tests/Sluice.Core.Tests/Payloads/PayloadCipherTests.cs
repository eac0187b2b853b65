using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Sluice.Accounts;
using Sluice.Payloads;
using Sluice.Wire;

namespace Sluice.Core.Tests.Payloads;

public sealed class PayloadCipherTests
{
    private const string Account = "acct_0123456789abcdef";
    private const string RequestId = "req_0190a1b2c3d4e5f60718293a4b5c6d7e";
    private const string Blob = Account + "/2026-03-10/" + RequestId;
    private static readonly DataKey s_key = new("dk_0011223344556677", RandomNumberGenerator.GetBytes(32));

    private static byte[] Sealed(string text)
    {
        using var buffer = new Sluice.Wire.PooledBufferWriter();
        PayloadCipher.WriteHeader(buffer, s_key.Id);
        buffer.Write(Encoding.UTF8.GetBytes(text));
        var bytes = buffer.WrittenSpan.ToArray();
        PayloadCipher.Seal(bytes, s_key, Blob, Account, RequestId);
        return bytes;
    }

    [Fact]
    public void Seal_ThenOpen_GivesThePlaintextBack_AndTheSealedBytesHoldNoneOfIt()
    {
        var bytes = Sealed("secret prompt text");

        Assert.Equal(-1, bytes.AsSpan().IndexOf("secret"u8));
        Assert.Equal(s_key.Id, PayloadCipher.KeyIdOf(bytes));
        var range = PayloadCipher.Open(bytes, s_key, Blob, Account, RequestId);
        Assert.NotNull(range);
        Assert.Equal("secret prompt text", Encoding.UTF8.GetString(bytes.AsSpan()[range.Value]));
    }

    [Fact]
    public void AnyFlippedByte_FailsAuthentication_AndLeavesNoPlaintext()
    {
        var original = Sealed("secret prompt text");
        for (var i = PayloadCipher.HeaderSize(s_key.Id) - 28; i < original.Length; i++)
        {
            var bytes = original.ToArray();
            bytes[i] ^= 0x01;
            Assert.Null(PayloadCipher.Open(bytes, s_key, Blob, Account, RequestId));
            Assert.Equal(-1, bytes.AsSpan().IndexOf("secret"u8));
        }
    }

    [Theory]
    [InlineData("acct_fedcba9876543210/2026-03-10/" + RequestId, Account, RequestId)]
    [InlineData(Blob, "acct_fedcba9876543210", RequestId)]
    [InlineData(Blob, Account, "req_0190a1b2c3d4e5f60718293a4b5c6d7f")]
    public void ABlobMovedToAnotherName_AccountOrRequest_DoesNotDecrypt(string blob, string account, string requestId)
    {
        var bytes = Sealed("secret prompt text");
        Assert.Null(PayloadCipher.Open(bytes, s_key, blob, account, requestId));
    }

    [Fact]
    public void TheWrongDataKey_DoesNotDecrypt()
    {
        var bytes = Sealed("secret prompt text");
        Assert.Null(PayloadCipher.Open(bytes, s_key with { Key = RandomNumberGenerator.GetBytes(32) }, Blob, Account, RequestId));
    }

    [Theory]
    [InlineData(null, PayloadFailure.MasterKeyMissing)]
    [InlineData("", PayloadFailure.MasterKeyMissing)]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/k/)", PayloadFailure.MasterKeyInvalid)]
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", PayloadFailure.MasterKeyInvalid)]
    public void MasterKey_MissingOrInvalid_FailsWithAnErrorThatNamesTheSettingButNotTheValue(string? configured, PayloadFailure expected)
    {
        var (key, failure, error) = MasterKey.Parse(configured);

        Assert.Null(key);
        Assert.Equal(expected, failure);
        Assert.Contains("Sluice:Payloads:MasterKey", error, StringComparison.Ordinal);
        if (configured is { Length: > 0 })
        {
            Assert.DoesNotContain(configured, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DataKeyWrapping_IsBoundToItsAccountAndId_AndToTheMasterKey()
    {
        var (master, _, _) = MasterKey.Parse(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var (other, _, _) = MasterKey.Parse(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var wrapped = master!.Wrap(s_key.Key, Account, s_key.Id);

        Assert.Equal(s_key.Key, master.Unwrap(wrapped, Account, s_key.Id));
        Assert.Null(master.Unwrap(wrapped, "acct_fedcba9876543210", s_key.Id));
        Assert.Null(master.Unwrap(wrapped, Account, "dk_7766554433221100"));
        Assert.Null(other!.Unwrap(wrapped, Account, s_key.Id));
        Assert.NotEqual(master.Id, other.Id);
    }
}
