using System.Reflection;
using System.Reflection.Emit;
using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Core.Tests;

/// <summary>
/// The capability folders of <c>src/Sluice.Core</c> form a layering: a folder may use the folders below it, never one
/// that uses it. The graph comes from the compiled assembly (every type a type names in its signatures, attributes and
/// method bodies, lambdas and state machines counted for the type that wrote them), and the namespace check below
/// makes namespace and folder the same thing. The source adds what compiles away (a <c>using Sluice.X;</c> or a
/// qualified <c>Sluice.X.</c> name outside comments, e.g. a constant that the compiler inlines). Files at the root of <c>src/Sluice.Core</c> (the endpoint map and the
/// service registration) are the composition layer on top: they may use every folder, and no folder may use them.
/// </summary>
public sealed class FolderLayeringTests
{
    private const string Composition = "(root)";

    private static readonly Assembly Core = typeof(SluiceServiceCollectionExtensions).Assembly;

    [Fact]
    public void No_two_folders_depend_on_each_other_and_no_folder_depends_on_the_composition_root()
    {
        var graph = FolderGraph.Of(Core, "Sluice");
        graph.AddSourceReferences(CoreSourceDirectory());
        var problems = new List<string>();

        foreach (var (from, to) in graph.Edges.Keys.Where(edge => string.CompareOrdinal(edge.From, edge.To) < 0))
        {
            if (graph.Edges.ContainsKey((to, from)))
            {
                problems.Add($"two-way: {from} <-> {to} ({graph.Example(from, to)}; {graph.Example(to, from)})");
            }
        }

        foreach (var component in graph.Cycles().Where(component => component.Count > 2))
        {
            problems.Add($"cycle: {string.Join(" -> ", component)} -> {component[0]}");
        }

        foreach (var (from, to) in graph.Edges.Keys.Where(edge => edge.To == Composition))
        {
            problems.Add($"uses the composition root: {from} -> {Composition} ({graph.Example(from, to)})");
        }

        Assert.True(problems.Count == 0,
            $"{problems.Count} layering problem(s) in Sluice.Core:\n{string.Join("\n", problems)}\n\nEdges:\n{graph.Describe()}");
    }

    [Fact]
    public void Every_source_file_declares_the_namespace_of_its_folder()
    {
        var source = CoreSourceDirectory();
        var wrong = new List<string>();
        foreach (var file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            var segments = relative.Split(Path.DirectorySeparatorChar);
            if (segments[0] is "obj" or "bin")
            {
                continue;
            }

            var expected = string.Join('.', ["Sluice", .. segments[..^1]]);
            var declared = Regex.Match(File.ReadAllText(file), @"^namespace\s+([\w.]+)", RegexOptions.Multiline);
            if (!declared.Success || declared.Groups[1].Value != expected)
            {
                wrong.Add($"{relative}: {(declared.Success ? declared.Groups[1].Value : "(none)")}, expected {expected}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void The_check_sees_a_dependency_written_only_in_a_method_body()
    {
        // Guards the graph itself: Upper names Lower only inside a lambda and an async method, which the compiler
        // turns into nested types; the edge must still count for Upper, and nothing may point the other way.
        var graph = FolderGraph.Of(typeof(FolderLayeringTests).Assembly, "Sluice.Core.Tests.LayeringSamples");
        Assert.Equal([("Upper", "Lower")], graph.Edges.Keys);
    }

    private static string CoreSourceDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "src", "Sluice.Core");
            if (File.Exists(Path.Combine(candidate, "Sluice.Core.csproj")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("src/Sluice.Core not found above the test's base directory.");
    }

    private sealed class FolderGraph
    {
        private static readonly Dictionary<short, OpCode> OneByte = [];
        private static readonly Dictionary<short, OpCode> TwoByte = [];

        static FolderGraph()
        {
            foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                var code = (OpCode)field.GetValue(null)!;
                (code.Size == 1 ? OneByte : TwoByte)[(short)(code.Value & 0xFF)] = code;
            }
        }

        private readonly Assembly assembly;
        private readonly string root;

        private FolderGraph(Assembly assembly, string root) => (this.assembly, this.root) = (assembly, root);

        /// <summary>Folder pair → the first type pair seen behind it (for the failure message).</summary>
        public Dictionary<(string From, string To), string> Edges { get; } = [];

        public static FolderGraph Of(Assembly assembly, string root)
        {
            var graph = new FolderGraph(assembly, root);
            foreach (var type in assembly.GetTypes())
            {
                graph.Add(type);
            }

            return graph;
        }

        public string Example(string from, string to) => Edges[(from, to)];

        /// <summary>Adds the folders each source file names: <c>using Sluice.X;</c> and qualified <c>Sluice.X.</c>
        /// names outside comments, where X is a folder of <paramref name="source"/>.</summary>
        public void AddSourceReferences(string source)
        {
            var folders = Directory.EnumerateDirectories(source).Select(Path.GetFileName).Where(name => name is not ("obj" or "bin")).ToHashSet();
            foreach (var file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories))
            {
                var segments = Path.GetRelativePath(source, file).Split(Path.DirectorySeparatorChar);
                if (segments[0] is "obj" or "bin")
                {
                    continue;
                }

                var from = segments.Length == 1 ? Composition : segments[0];
                var code = string.Join('\n', File.ReadLines(file).Where(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal)));
                foreach (Match match in Regex.Matches(code, $@"\b{Regex.Escape(root)}\.(\w+)(?:;|\.)"))
                {
                    var to = match.Groups[1].Value;
                    if (folders.Contains(to) && to != from)
                    {
                        Edges.TryAdd((from, to), $"{segments[^1]} names {root}.{to}");
                    }
                }
            }
        }

        public string Describe() => string.Join("\n", Edges.Keys
            .GroupBy(edge => edge.From)
            .OrderBy(group => group.Key, StringComparer.Ordinal)
            .Select(group => $"  {group.Key} -> {string.Join(", ", group.Select(edge => edge.To).Order(StringComparer.Ordinal))}"));

        /// <summary>Strongly connected components with more than one folder (Tarjan), each in a cycle order.</summary>
        public List<List<string>> Cycles()
        {
            var nodes = Edges.Keys.SelectMany(edge => new[] { edge.From, edge.To }).Distinct().Order(StringComparer.Ordinal).ToList();
            var index = new Dictionary<string, int>();
            var low = new Dictionary<string, int>();
            var stack = new Stack<string>();
            var components = new List<List<string>>();
            var counter = 0;

            void Visit(string node)
            {
                index[node] = low[node] = counter++;
                stack.Push(node);
                foreach (var next in Successors(node))
                {
                    if (index.TryGetValue(next, out var seen))
                    {
                        if (stack.Contains(next))
                        {
                            low[node] = Math.Min(low[node], seen);
                        }
                    }
                    else
                    {
                        Visit(next);
                        low[node] = Math.Min(low[node], low[next]);
                    }
                }

                if (low[node] == index[node])
                {
                    var component = new List<string>();
                    string member;
                    do
                    {
                        member = stack.Pop();
                        component.Add(member);
                    }
                    while (member != node);
                    if (component.Count > 1)
                    {
                        components.Add(component.Order(StringComparer.Ordinal).ToList());
                    }
                }
            }

            foreach (var node in nodes.Where(node => !index.ContainsKey(node)))
            {
                Visit(node);
            }

            return components;
        }

        private IEnumerable<string> Successors(string node) =>
            Edges.Keys.Where(edge => edge.From == node).Select(edge => edge.To).Order(StringComparer.Ordinal);

        private const BindingFlags Declared =
            BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

        private void Add(Type type)
        {
            if (Folder(type) is not { } from)
            {
                return;
            }

            void Use(Type? used)
            {
                foreach (var named in Named(used))
                {
                    if (Folder(named) is { } to && to != from)
                    {
                        Edges.TryAdd((from, to), $"{Outermost(type).Name} uses {Outermost(named).Name}");
                    }
                }
            }

            void UseAttributes(IEnumerable<CustomAttributeData> attributes)
            {
                foreach (var attribute in attributes)
                {
                    Use(attribute.AttributeType);
                    foreach (var argument in attribute.ConstructorArguments.Concat(attribute.NamedArguments.Select(named => named.TypedValue)))
                    {
                        Use(argument.Value as Type);
                    }
                }
            }

            Use(type.BaseType);
            foreach (var implemented in type.GetInterfaces())
            {
                Use(implemented);
            }

            UseAttributes(type.GetCustomAttributesData());
            foreach (var field in type.GetFields(Declared))
            {
                Use(field.FieldType);
                UseAttributes(field.GetCustomAttributesData());
            }

            foreach (var property in type.GetProperties(Declared))
            {
                Use(property.PropertyType);
                UseAttributes(property.GetCustomAttributesData());
            }

            foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
            {
                if (method is MethodInfo info)
                {
                    Use(info.ReturnType);
                }

                UseAttributes(method.GetCustomAttributesData());
                foreach (var parameter in method.GetParameters())
                {
                    Use(parameter.ParameterType);
                }

                var body = method.GetMethodBody();
                if (body is null)
                {
                    continue;
                }

                foreach (var local in body.LocalVariables)
                {
                    Use(local.LocalType);
                }

                foreach (var token in Tokens(body.GetILAsByteArray() ?? []))
                {
                    foreach (var used in Resolve(method, token))
                    {
                        Use(used);
                    }
                }
            }
        }

        private IEnumerable<Type?> Resolve(MethodBase method, int token)
        {
            var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
            var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
            MemberInfo? member;
            try
            {
                member = method.Module.ResolveMember(token, typeArguments, methodArguments);
            }
            catch (ArgumentException)
            {
                yield break;
            }

            switch (member)
            {
                case Type type:
                    yield return type;
                    break;
                case MethodInfo called:
                    yield return called.DeclaringType;
                    yield return called.ReturnType;
                    foreach (var argument in called.IsGenericMethod ? called.GetGenericArguments() : [])
                    {
                        yield return argument;
                    }

                    break;
                case MemberInfo other:
                    yield return other.DeclaringType;
                    break;
            }
        }

        /// <summary>The metadata tokens an IL stream names (types, methods, fields), by walking its opcodes.</summary>
        private static IEnumerable<int> Tokens(byte[] il)
        {
            var position = 0;
            while (position < il.Length)
            {
                OpCode code;
                if (il[position] == 0xFE)
                {
                    code = TwoByte[il[position + 1]];
                    position += 2;
                }
                else
                {
                    code = OneByte[il[position]];
                    position += 1;
                }

                switch (code.OperandType)
                {
                    case OperandType.InlineType:
                    case OperandType.InlineTok:
                    case OperandType.InlineMethod:
                    case OperandType.InlineField:
                        yield return BitConverter.ToInt32(il, position);
                        position += 4;
                        break;
                    case OperandType.InlineNone:
                        break;
                    case OperandType.ShortInlineBrTarget:
                    case OperandType.ShortInlineI:
                    case OperandType.ShortInlineVar:
                        position += 1;
                        break;
                    case OperandType.InlineVar:
                        position += 2;
                        break;
                    case OperandType.InlineI8:
                    case OperandType.InlineR:
                        position += 8;
                        break;
                    case OperandType.InlineSwitch:
                        var targets = BitConverter.ToInt32(il, position);
                        position += 4 + (4 * targets);
                        break;
                    default:
                        position += 4;
                        break;
                }
            }
        }

        /// <summary>A type and every type it is built from (array elements, generic arguments).</summary>
        private static IEnumerable<Type> Named(Type? type)
        {
            if (type is null || type.IsGenericParameter)
            {
                yield break;
            }

            if (type.HasElementType)
            {
                foreach (var element in Named(type.GetElementType()))
                {
                    yield return element;
                }

                yield break;
            }

            yield return type;
            if (type.IsGenericType && !type.IsGenericTypeDefinition)
            {
                foreach (var argument in type.GetGenericArguments().SelectMany(Named))
                {
                    yield return argument;
                }
            }
        }

        private static Type Outermost(Type type)
        {
            while (type.DeclaringType is { } declaring)
            {
                type = declaring;
            }

            return type;
        }

        /// <summary>
        /// The folder a type of this assembly was written in: <c>{root}.X...</c> is folder X, <c>{root}</c> is the
        /// composition root. Types of other assemblies and generated types outside <c>Sluice</c> have none.
        /// </summary>
        private string? Folder(Type type)
        {
            var outer = Outermost(type.IsGenericType ? type.GetGenericTypeDefinition() : type);
            if (outer.Assembly != assembly || outer.Namespace is not { } name)
            {
                return null;
            }

            if (name == root)
            {
                return Composition;
            }

            return name.StartsWith(root + ".", StringComparison.Ordinal) ? name[(root.Length + 1)..].Split('.')[0] : null;
        }
    }
}
