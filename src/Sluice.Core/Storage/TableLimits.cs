using System.Text;
using Azure.Data.Tables;

namespace Sluice.Storage;

/// <summary>
/// Azure Table storage's limits, checked in code before a write: Azurite enforces only some of them (not the entity
/// size, the property count or the same-partition rule), so a local test would pass what Azure refuses. See
/// <c>docs/storage.md</c>.
/// </summary>
internal static class TableLimits
{
    /// <summary>A string property: 64 KiB of UTF-16.</summary>
    public const int MaxStringLength = 32 * 1024;

    /// <summary>An entity, keys and properties, as Azure counts it (<see cref="EntitySize"/>).</summary>
    public const int MaxEntityBytes = 1024 * 1024;

    /// <summary>Properties of one entity besides PartitionKey, RowKey and Timestamp.</summary>
    public const int MaxProperties = 252;

    public const int MaxPropertyNameLength = 255;

    /// <summary>Actions of one entity group transaction, all in one partition of one table.</summary>
    public const int MaxTransactionActions = 100;

    /// <summary>The request body of one transaction.</summary>
    public const int MaxTransactionBytes = 4 * 1024 * 1024;

    /// <summary>What a transaction's request spends besides its actions (batch and changeset boundaries, headers).</summary>
    private const int TransactionEnvelopeBytes = 1024;

    /// <summary>What one action's request spends besides its entity's JSON and the keys in its URL: its part
    /// headers and request line, the table's URL included (table URLs are short: account host and table name).</summary>
    private const int ActionEnvelopeBytes = 1024;

    /// <summary>The entity's size as Azure counts it: 4 bytes, 2 per UTF-16 code unit of the keys, and per property
    /// 8 bytes, 2 per code unit of its name and its value's size (a string 4 + 2 per code unit, binary 4 + its
    /// length, a GUID 16, a date, Int64 or double 8, Int32 4, a Boolean 1).</summary>
    public static long EntitySize(TableEntity entity)
    {
        long size = 4 + 2L * (entity.PartitionKey.Length + entity.RowKey.Length);
        foreach (var (name, value) in entity)
        {
            if (IsSystem(name))
            {
                continue;
            }
            size += 8 + 2L * name.Length + value switch
            {
                null => 0,
                string s => 4 + 2L * s.Length,
                byte[] b => 4 + b.Length,
                BinaryData d => 4 + d.ToMemory().Length,
                Guid => 16,
                DateTimeOffset or DateTime or long or double => 8,
                int => 4,
                bool => 1,
                _ => 8,
            };
        }
        return size;
    }

    /// <summary>Why Azure would refuse <paramref name="entity"/>, or null when it would take it.</summary>
    public static string? Violation(TableEntity entity)
    {
        if (TableKey.Violation(entity.PartitionKey) is { } partitionKey)
        {
            return "PartitionKey: " + partitionKey;
        }
        if (TableKey.Violation(entity.RowKey) is { } rowKey)
        {
            return "RowKey: " + rowKey;
        }
        var properties = 0;
        foreach (var (name, value) in entity)
        {
            if (IsSystem(name))
            {
                continue;
            }
            properties++;
            if (name.Length > MaxPropertyNameLength)
            {
                return $"a property name of {name.Length} characters (at most {MaxPropertyNameLength})";
            }
            if (value is string s && s.Length > MaxStringLength)
            {
                return $"property {name}: a string of {s.Length} UTF-16 code units (at most {MaxStringLength})";
            }
        }
        if (properties > MaxProperties)
        {
            return $"{properties} properties (at most {MaxProperties})";
        }
        var size = EntitySize(entity);
        return size > MaxEntityBytes ? $"an entity of {size} bytes (at most {MaxEntityBytes})" : null;
    }

    /// <summary>
    /// At least as many bytes as <paramref name="action"/> adds to a transaction's request: its envelope, its keys in
    /// the URL (an update names them, percent-encoded: at most 9 bytes per code unit) and its entity's JSON, counted as
    /// if every character were escaped (<c>\uXXXX</c>, 6 bytes per code unit) and every property carried a type.
    /// </summary>
    public static long ActionBytes(TableTransactionAction action)
    {
        var entity = action.Entity;
        long bytes = ActionEnvelopeBytes + 2;
        if (action.ActionType != TableTransactionActionType.Add)
        {
            bytes += 9L * (entity.PartitionKey.Length + entity.RowKey.Length) + 64;
        }
        bytes += Property("PartitionKey", entity.PartitionKey) + Property("RowKey", entity.RowKey);
        if (entity is IDictionary<string, object?> properties)
        {
            foreach (var (name, value) in properties)
            {
                if (!IsSystem(name))
                {
                    bytes += Property(name, value);
                }
            }
        }
        return bytes;
    }

    /// <summary>At least the size of the request that submits <paramref name="actions"/> as one transaction.</summary>
    public static long TransactionBytes(IEnumerable<TableTransactionAction> actions) =>
        TransactionEnvelopeBytes + actions.Sum(ActionBytes);

    /// <summary>Why Azure would refuse <paramref name="actions"/> as one transaction, or null: too many actions, more
    /// than one partition, an entity it would refuse, or a request over 4 MiB.</summary>
    public static string? TransactionViolation(IReadOnlyList<TableTransactionAction> actions)
    {
        if (actions.Count is 0 or > MaxTransactionActions)
        {
            return $"a transaction of {actions.Count} actions (1 to {MaxTransactionActions})";
        }
        var partition = actions[0].Entity.PartitionKey;
        foreach (var action in actions)
        {
            if (!string.Equals(action.Entity.PartitionKey, partition, StringComparison.Ordinal))
            {
                return "a transaction spanning more than one partition";
            }
        }
        var bytes = TransactionBytes(actions);
        return bytes > MaxTransactionBytes ? $"a transaction of up to {bytes} bytes (at most {MaxTransactionBytes})" : null;
    }

    /// <summary>A property's JSON at most: <c>"name":value,</c> and <c>"name@odata.type":"Edm.X",</c>.</summary>
    private static long Property(string name, object? value)
    {
        var nameBytes = 6L * name.Length + 4;
        var valueBytes = value switch
        {
            string s => 6L * s.Length + 2,
            byte[] b => (b.Length + 2) / 3 * 4L + 2,
            BinaryData d => (d.ToMemory().Length + 2) / 3 * 4L + 2,
            _ => 48,
        };
        return nameBytes + valueBytes + nameBytes + "@odata.type".Length + 24;
    }

    private static bool IsSystem(string name) => name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag";

    /// <summary>Text a string property can hold: cut to at most <paramref name="maxLength"/> UTF-16 code units, never
    /// between the two halves of a surrogate pair, with every unpaired surrogate replaced by U+FFFD (not text: JSON
    /// cannot carry one faithfully).</summary>
    public static string StorableText(string value, int maxLength)
    {
        var length = Math.Min(value.Length, maxLength);
        if (length > 0 && length < value.Length && char.IsHighSurrogate(value[length - 1]))
        {
            length--;
        }
        var text = value.Length == length ? value : value[..length];
        return text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') ? ReplaceUnpaired(text) : text;
    }

    private static string ReplaceUnpaired(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
            }
            else
            {
                sb.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return sb.ToString();
    }
}
