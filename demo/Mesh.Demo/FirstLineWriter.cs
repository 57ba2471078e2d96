using System.Text;

namespace Mesh.Demo;

/// <summary>Writes lines through to another writer and keeps the first: the cause of a failure, where later lines are its consequences.</summary>
internal sealed class FirstLineWriter(TextWriter inner) : TextWriter
{
    private string? first;

    /// <summary>The first line written, or null.</summary>
    public string? First => Volatile.Read(ref first);

    /// <inheritdoc />
    public override Encoding Encoding => inner.Encoding;

    /// <inheritdoc />
    public override void Write(char value) => inner.Write(value);

    /// <inheritdoc />
    public override void WriteLine(string? value)
    {
        Interlocked.CompareExchange(ref first, value, null);
        inner.WriteLine(value);
    }
}
