using Mesh.Demo;

return await DemoCli.RunAsync(args, Console.Out, Console.Error);
