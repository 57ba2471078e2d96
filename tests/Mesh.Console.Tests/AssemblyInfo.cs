// Each fixture runs a whole mesh, a console and a browser: one at a time on a small machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
