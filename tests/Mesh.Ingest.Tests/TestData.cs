namespace Mesh.Ingest.Tests;

/// <summary>The files under TestData/ (each folder's ORIGIN.md says where they come from).</summary>
public static class TestData
{
    /// <summary>The bytes of a test data file, e.g. "hl7v2/nhapi-oml_o21-messages.txt".</summary>
    public static byte[] Bytes(string path) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", path));

    /// <summary>The text of a test data file.</summary>
    public static string Text(string path) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", path));
}
