{#
    The rules of the support marts (escalations, edge_case_register), each a dbt var that a
    project or a run can override (`dbt build --vars '{escalation_context_window_hours: 48}'`);
    the defaults are here. Lists hold lower-case codes: sources are compared lower-cased.

    escalation_tags                 ticket and chat tags that mark an escalation
    escalation_ticket_priorities    ticket priorities that mark an escalation when a ticket is
                                    raised to them after it was created
    escalation_context_window_hours how long after an escalation a contact on another channel
                                    means the customer had to explain again
    edge_case_contact_window_hours  how long after an incident starts the customer's contacts
                                    count as caused by it
    late_delivery_grace_hours       how long after the first promised delivery time a delivery is
                                    still on time (carriers often promise a date: midnight)
    failed_payment_statuses         statuses of an order's payment transactions that fail it
    delayed_shipment_statuses       carrier statuses of each shipment incident type, covering the
    misrouted_shipment_statuses     vocabularies of common carrier and tracking aggregator
    delivery_exception_statuses     exports
    delivered_statuses              carrier statuses that end a parcel delivered
    returned_statuses               carrier statuses that end a parcel back with the sender
    marketing_purposes              purposes of sends that never count as telling a customer about
                                    an incident
#}

{% macro default_support_rules() -%}
    {{ return({
        'escalation_tags': ['escalated', 'escalation', 'tier2', 'tier_2', 'tier3', 'tier_3'],
        'escalation_ticket_priorities': ['urgent'],
        'escalation_context_window_hours': 72,
        'edge_case_contact_window_hours': 168,
        'late_delivery_grace_hours': 24,
        'failed_payment_statuses': ['failure', 'error'],
        'delayed_shipment_statuses': ['delayed', 'delay'],
        'misrouted_shipment_statuses': ['misrouted', 'missorted', 'misdirected'],
        'delivery_exception_statuses': [
            'exception', 'failure', 'error', 'failed_attempt', 'attemptfail', 'attempt_fail',
            'undeliverable', 'returned_to_sender', 'return_to_sender', 'returned', 'lost', 'damaged',
        ],
        'delivered_statuses': ['delivered'],
        'returned_statuses': ['returned_to_sender', 'return_to_sender', 'returned'],
        'marketing_purposes': ['marketing', 'promotional', 'promotion'],
    }) }}
{%- endmacro %}

{% macro support_rule(name) -%}
    {%- set defaults = connect360.default_support_rules() -%}
    {%- if name not in defaults -%}
        {{ exceptions.raise_compiler_error("support_rule: no rule named " ~ name) }}
    {%- endif -%}
    {{ return(var(name, defaults[name])) }}
{%- endmacro %}

{#- A list of codes as SQL string literals for an IN list: 'a', 'b'. -#}
{% macro string_literals(values) -%}
    {%- for value in values -%}
        '{{ value | replace("'", "''") }}'{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
