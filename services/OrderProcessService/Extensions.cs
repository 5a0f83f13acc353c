using Dapr.Workflow;
using DaprSaga.OrderProcessService.Processes;
using DaprSaga.OrderProcessService.Saga;
using DaprSaga.OrderProcessService.Workflows;

namespace DaprSaga.OrderProcessService;

public static class Extensions
{
    public static WebApplicationBuilder AddOrderProcesses(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ProcessOptions>().BindConfiguration(ProcessOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<Participants>();
        builder.Services.AddSingleton<ProcessIndexes>();
        builder.Services.AddSingleton<ProcessRunner>();
        builder.Services.AddSingleton<ProcessWorker>();
        builder.Services.AddHostedService(s => s.GetRequiredService<ProcessWorker>());
        builder.Services.AddSingleton<ProcessRecovery>();
        builder.Services.AddHostedService<ProcessRecoveryAtStart>();
        // The workflow and its activity are registered by the package's source generator.
        builder.Services.AddDaprWorkflowBuilder(configureRuntime: null).WithJsonSerializer(ServiceDefaultsExtensions.JsonOptions);
        builder.Services.AddSingleton<WorkflowProcesses>();
        builder.Services.AddSingleton<OrderProcesses>();

        builder.Services.AddSubscription<PaymentConfirmed, CustomerDecisions>(SagaFlow.Orchestration);
        builder.Services.AddSubscription<PaymentCancelled, CustomerDecisions>(SagaFlow.Orchestration);
        builder.Services.AddSubscription<OrderCancelled, CustomerDecisions>(SagaFlow.Orchestration);
        builder.Services.AddScheduledPass<UnfinishedProcesses>(Components.ProcessRecovery);
        return builder;
    }
}
