namespace Mesh.Console.Tests;

/// <summary>The console tests share one mesh, console and browser.</summary>
[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleMesh>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "console";
}
