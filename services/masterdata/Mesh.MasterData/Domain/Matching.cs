using Mesh.Resources;

namespace Mesh.MasterData.Domain;

/// <summary>
/// What the duplicate searches of the item and supplier masters share: text normalized so that case, spacing and
/// punctuation do not hide a match, the scale of word overlap, and the bounds and ranking of the matches.
/// </summary>
public static class Matching
{
    /// <summary>The minimum score when the request sets none, in basis points.</summary>
    public const int DefaultMinScore = 7000;

    /// <summary>The least word overlap that counts as the field agreeing.</summary>
    public const int AgreeingOverlap = DefaultMinScore / 2;

    /// <summary>The request's minimum score: <see cref="DefaultMinScore"/> when unset, INVALID_ARGUMENT outside 0 to 10000.</summary>
    public static int MinScore(int requested) =>
        requested is < 0 or > 10000 ? throw ResourceErrors.Invalid("min_score_basis_points must be 0 to 10000")
        : requested == 0 ? DefaultMinScore
        : requested;

    /// <summary>The request's most matches: 10 when unset, at most 100.</summary>
    public static int MaxMatches(int requested) => requested <= 0 ? 10 : Math.Min(requested, 100);

    /// <summary>The existing resources that score at least <paramref name="minScore"/>, best first, at most <paramref name="limit"/>.</summary>
    public static IEnumerable<(T Resource, int Score, List<string> Fields)> Best<T>(
        IEnumerable<T> existing, Func<T, (int Score, List<string> Fields)> similarity, int minScore, int limit) =>
        existing.Select(e => (Resource: e, Match: similarity(e)))
            .Where(m => m.Match.Score >= minScore)
            .OrderByDescending(m => m.Match.Score)
            .Take(limit)
            .Select(m => (m.Resource, m.Match.Score, m.Match.Fields));

    /// <summary>The letters and digits of <paramref name="value"/>, upper case: "12-345 6789" and "123456789" are the same.</summary>
    public static string Normalize(string value) => new([.. value.Where(char.IsLetterOrDigit).Select(char.ToUpperInvariant)]);

    /// <summary>True when both identifiers have letters or digits and they are the same ones.</summary>
    public static bool SameIdentifier(string a, string b) => Normalize(a) is { Length: > 0 } normalized && normalized == Normalize(b);

    /// <summary>The words of <paramref name="text"/> in order, upper case.</summary>
    public static IEnumerable<string> Tokens(string text) =>
        text.Split([' ', ',', '-', '/', '(', ')'], StringSplitOptions.RemoveEmptyEntries).Select(w => w.ToUpperInvariant());

    /// <summary>The distinct words of <paramref name="text"/>, upper case.</summary>
    public static HashSet<string> Words(string text) => Tokens(text).ToHashSet();

    /// <summary>
    /// How many words two texts share (Jaccard), scaled to 8000 basis points: shared words alone are never as
    /// certain as a shared identifier. 0 when either has none.
    /// </summary>
    public static int WordOverlap(IReadOnlySet<string> a, IReadOnlySet<string> b) =>
        a.Count == 0 || b.Count == 0 ? 0 : (int)(8000L * a.Intersect(b).Count() / a.Union(b).Count());
}
