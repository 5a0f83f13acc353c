using System.Text.Json.Nodes;

namespace DaprSaga.TestSidecar.PubSub;

/// <summary>
/// The subset of CEL that routing rules use in practice (dapr `pkg/runtime/subscription`
/// compiles `match` with cel-go over the variable `event`): field access on `event`, string,
/// bool and number literals, ==, !=, &amp;&amp;, ||, ! and parentheses. Anything else is rejected
/// when the subscription loads, as an invalid CEL expression makes daprd reject it.
/// </summary>
public sealed class RouteMatch
{
    private readonly Func<JsonObject, object?> _evaluate;

    private RouteMatch(string expression, Func<JsonObject, object?> evaluate) =>
        (Expression, _evaluate) = (expression, evaluate);

    public string Expression { get; }

    public static RouteMatch Parse(string expression)
    {
        var parser = new Parser(expression);
        var evaluate = parser.ParseOr();
        parser.ExpectEnd();
        return new RouteMatch(expression, evaluate);
    }

    public bool Matches(JsonObject cloudEvent) => _evaluate(cloudEvent) is true;

    private sealed class Parser(string text)
    {
        private int _pos;

        public Func<JsonObject, object?> ParseOr()
        {
            var left = ParseAnd();
            while (TryConsume("||"))
            {
                var (l, r) = (left, ParseAnd());
                left = e => l(e) is true || r(e) is true;
            }
            return left;
        }

        private Func<JsonObject, object?> ParseAnd()
        {
            var left = ParseEquality();
            while (TryConsume("&&"))
            {
                var (l, r) = (left, ParseEquality());
                left = e => l(e) is true && r(e) is true;
            }
            return left;
        }

        private Func<JsonObject, object?> ParseEquality()
        {
            var left = ParseUnary();
            if (TryConsume("=="))
            {
                var (l, r) = (left, ParseUnary());
                return e => Equals(l(e), r(e));
            }
            if (TryConsume("!="))
            {
                var (l, r) = (left, ParseUnary());
                return e => !Equals(l(e), r(e));
            }
            return left;
        }

        private Func<JsonObject, object?> ParseUnary()
        {
            if (TryConsume("!"))
            {
                var inner = ParseUnary();
                return e => inner(e) is not true;
            }
            if (TryConsume("("))
            {
                var inner = ParseOr();
                if (!TryConsume(")")) throw Invalid("expected ')'");
                return inner;
            }
            SkipSpaces();
            if (_pos < text.Length && (text[_pos] == '"' || text[_pos] == '\'')) return Literal(ReadString());
            var word = ReadWord();
            return word switch
            {
                "true" => Literal(true),
                "false" => Literal(false),
                _ when decimal.TryParse(word, System.Globalization.CultureInfo.InvariantCulture, out var n) => Literal(n),
                _ when word.StartsWith("event.", StringComparison.Ordinal) => Path(word["event.".Length..].Split('.')),
                _ => throw Invalid($"undeclared reference to '{word}'"),
            };
        }

        private static Func<JsonObject, object?> Literal(object value) => _ => value;

        private static Func<JsonObject, object?> Path(string[] segments) => e =>
        {
            JsonNode? node = e;
            foreach (var s in segments) node = node is JsonObject o ? o[s] : null;
            return node is JsonValue v
                ? v.TryGetValue<string>(out var str) ? str
                : v.TryGetValue<bool>(out var b) ? b
                : v.TryGetValue<decimal>(out var d) ? d : null
                : null;
        };

        private string ReadString()
        {
            var quote = text[_pos++];
            var end = text.IndexOf(quote, _pos);
            if (end < 0) throw Invalid("unterminated string");
            var value = text[_pos..end];
            _pos = end + 1;
            return value;
        }

        private string ReadWord()
        {
            SkipSpaces();
            var start = _pos;
            while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] is '.' or '_' or '-')) _pos++;
            if (start == _pos) throw Invalid($"unexpected '{(start < text.Length ? text[start] : "end")}'");
            return text[start.._pos];
        }

        private bool TryConsume(string token)
        {
            SkipSpaces();
            if (string.CompareOrdinal(text, _pos, token, 0, token.Length) != 0) return false;
            // "!" must not swallow the start of "!=".
            if (token == "!" && _pos + 1 < text.Length && text[_pos + 1] == '=') return false;
            _pos += token.Length;
            return true;
        }

        public void ExpectEnd()
        {
            SkipSpaces();
            if (_pos != text.Length) throw Invalid($"unexpected '{text[_pos..]}'");
        }

        private void SkipSpaces()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        private FormatException Invalid(string why) => new($"invalid CEL expression '{text}': {why}");
    }
}
