// Each broker's cluster is five daprd containers plus five apps in this process: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
