namespace Mesh.Runtime.Security;

/// <summary>
/// The operations of one access control policy, matched as daprd matches them (dapr/dapr <c>pkg/config/acl_trie.go</c>):
/// a name is split at '/', a <c>*</c> segment matches one last segment (and <c>/a/*</c> also matches <c>/a</c>), a
/// <c>**</c> segment matches whatever follows, and a <c>*</c> inside a segment matches any characters. Nodes are tried in
/// the order the policy lists them, so the first operation that matches decides.
/// </summary>
internal sealed class OperationTrie<T>
    where T : class
{
    private const string SingleWildcard = "/*";
    private const string MultiWildcard = "/**";

    private readonly Node root = new("/");

    /// <summary>Adds an operation (with its leading '/'); the first one added under a name keeps it.</summary>
    public void Add(string operation, T data)
    {
        var parts = operation.Split('/');
        var node = root;
        for (var i = 1; i < parts.Length; i++)
        {
            var segment = "/" + parts[i];
            var last = i == parts.Length - 1;
            var existing = node.Children.FirstOrDefault(c => c.Segment == segment);
            if (existing is null)
            {
                existing = new Node(segment) { Data = last ? data : null };
                node.Children.Add(existing);
            }
            else if (last)
            {
                existing.Data ??= data;
            }

            node = existing;
        }
    }

    /// <summary>The data of the operation matching <paramref name="operation"/>, or null.</summary>
    public T? Search(string operation)
    {
        var parts = operation.Split('/');
        var node = root;
        for (var i = 1; i < parts.Length; i++)
        {
            var last = i == parts.Length - 1;
            node = Find(node, "/" + parts[i], last);
            if (node is null)
            {
                return null;
            }

            if (node.Data is not null)
            {
                if (!last && node.Segment.EndsWith(SingleWildcard, StringComparison.Ordinal) && !node.Segment.EndsWith(MultiWildcard, StringComparison.Ordinal))
                {
                    continue;
                }

                return node.Data;
            }

            if (last)
            {
                return Find(node, SingleWildcard, last)?.Data;
            }
        }

        return null;
    }

    private static Node? Find(Node node, string segment, bool last)
    {
        foreach (var child in node.Children)
        {
            if (child.Segment == segment)
            {
                return child;
            }

            if (child.Segment == SingleWildcard)
            {
                if (last)
                {
                    return child;
                }

                continue;
            }

            if (child.Segment == MultiWildcard || Glob(segment, child.Segment))
            {
                return child;
            }
        }

        return null;
    }

    // '*' matches any run of characters, also none.
    private static bool Glob(string target, string pattern)
    {
        var match = new bool[target.Length + 1, pattern.Length + 1];
        match[0, 0] = true;
        for (var j = 1; j <= pattern.Length && pattern[j - 1] == '*'; j++)
        {
            match[0, j] = true;
        }

        for (var i = 1; i <= target.Length; i++)
        {
            for (var j = 1; j <= pattern.Length; j++)
            {
                match[i, j] = pattern[j - 1] == '*'
                    ? match[i, j - 1] || match[i - 1, j]
                    : target[i - 1] == pattern[j - 1] && match[i - 1, j - 1];
            }
        }

        return match[target.Length, pattern.Length];
    }

    private sealed class Node(string segment)
    {
        public string Segment { get; } = segment;

        public T? Data { get; set; }

        public List<Node> Children { get; } = [];
    }
}
