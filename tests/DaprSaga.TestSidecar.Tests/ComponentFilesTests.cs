
using DaprSaga.ServiceDefaults.State;
using DaprSaga.TestSidecar.Workflow;

namespace DaprSaga.TestSidecar.Tests;

public sealed class ComponentFilesTests
{
    [Fact]
    public void Every_cron_binding_an_app_loads_has_a_schedule_read_from_the_component_file()
    {
        var schedules = ComponentFiles.CronSchedules();

        foreach (var binding in Components.BindingsOf.Values.SelectMany(b => b))
        {
            Assert.True(schedules.TryGetValue(binding, out var period), $"no schedule for {binding}");
            Assert.InRange(period, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        }
        Assert.Equal(TimeSpan.FromSeconds(5), schedules[Components.OutboxSweep]);
    }

    [Fact]
    public void The_workflow_state_retention_of_config_yaml_parses_to_168_hours_the_apps_retention_window()
    {
        var retention = Assert.IsType<WorkflowStateRetention>(ComponentFiles.WorkflowRetention());

        Assert.Equal(new WorkflowStateRetention(AnyTerminal: TimeSpan.FromHours(168)), retention);
        Assert.Equal(new RetentionOptions().Window, retention.AnyTerminal);
    }

    [Theory]
    [InlineData("168h", 168 * 3600_000_000_000L)]
    [InlineData("0", 0L)]
    [InlineData("0s", 0L)]
    [InlineData("1h30m", 5400_000_000_000L)]
    [InlineData("1.5h", 5400_000_000_000L)]
    [InlineData(".5s", 500_000_000L)]
    [InlineData("-2m", -120_000_000_000L)]
    [InlineData("+10ms", 10_000_000L)]
    [InlineData("3µs", 3_000L)]
    [InlineData("300ns", 300L)]
    public void Go_durations_parse_as_time_ParseDuration_does(string text, long nanoseconds)
    {
        Assert.Equal(TimeSpan.FromTicks(nanoseconds / 100), ComponentFiles.ParseGoDuration(text));
    }

    [Theory]
    [InlineData("", "time: invalid duration \"\"")]
    [InlineData("7d", "time: unknown unit \"d\" in duration \"7d\"")]
    [InlineData("10", "time: missing unit in duration \"10\"")]
    [InlineData(".h", "time: invalid duration \".h\"")]
    [InlineData("3000000h", "time: invalid duration \"3000000h\"")]
    public void Go_durations_time_ParseDuration_refuses_are_refused_with_its_message(string text, string message)
    {
        Assert.Equal(message, Assert.Throws<FormatException>(() => ComponentFiles.ParseGoDuration(text)).Message);
    }
}
