{#-
    Escalations and hand-offs, one row per escalation: where it went, how long until an owner
    took it, whether the customer had to explain again on another channel, and how it ended.
    The rule of each source is in _journeys__support.yml; the lists and the window are dbt vars
    (macros/journeys/support_rules.sql).
-#}
{%- set escalation_tags = connect360.support_rule('escalation_tags') -%}
{%- set urgent_priorities = connect360.string_literals(
    connect360.support_rule('escalation_ticket_priorities')
) -%}
{%- set context_window_seconds =
    connect360.support_rule('escalation_context_window_hours') * 3600 -%}
{%- set text = dbt.type_string() -%}

with

tickets as (
    select * from {{ ref('stg_tickets__tickets') }}
),

chat_conversations as (
    select * from {{ ref('stg_chat__conversations') }}
),

voice_calls as (
    select * from {{ ref('stg_voice__calls') }}
),

voice_dispositions as (
    select * from {{ ref('stg_voice__dispositions') }}
),

sms_messages as (
    select * from {{ ref('stg_sms__messages') }}
),

record_customers as (
    select * from {{ ref('int_identity__record_customers') }}
),

support_contacts as (
    {{ connect360.inbound_support_contacts(
        chats='chat_conversations',
        tickets='tickets',
        calls='voice_calls',
        sms='sms_messages',
        record_customers='record_customers',
    ) }}
),

ticket_versions as (
    select
        record_key,
        ticket_id,
        lower(status) as status,
        lower(priority) as priority,
        group_id,
        group_name,
        assignee_id,
        assigned_at,
        solved_at,
        {{ connect360.support_channel('via_channel') }} as channel,
        created_at,
        coalesce(updated_at, occurred_at) as version_at,
        {{ connect360.json_array_has_any('tags_json', escalation_tags) }} as has_escalation_tag
    from tickets
),

ticket_histories as (
    select
        *,
        lag(priority) over (
            partition by ticket_id order by version_at, record_key
        ) as previous_priority,
        lag(group_id) over (
            partition by ticket_id order by version_at, record_key
        ) as previous_group_id,
        row_number() over (
            partition by ticket_id order by version_at, record_key
        ) as version_number,
        row_number() over (
            partition by ticket_id order by version_at desc, record_key desc
        ) as recency
    from ticket_versions
),

-- Raised to an urgent priority after creation, not created urgent (that is triage).
ticket_evidence as (
    select
        *,
        case
            when has_escalation_tag then 'tag'
            when
                priority in ({{ urgent_priorities }})
                and previous_priority is not null
                and previous_priority not in ({{ urgent_priorities }})
                then 'priority'
            when group_id != previous_group_id then 'group_change'
        end as escalation_evidence
    from ticket_histories
),

-- A tag on the first update seen counts from the ticket's creation: an export may hold only
-- the latest update of a ticket, and the tag was there before it.
ticket_escalation_versions as (
    select
        ticket_id,
        record_key,
        channel,
        group_name,
        escalation_evidence,
        case
            when version_number = 1 and created_at < version_at then created_at
            else version_at
        end as escalated_at,
        row_number() over (partition by ticket_id order by version_at, record_key) as evidence_order
    from ticket_evidence
    where escalation_evidence is not null
),

ticket_escalation_starts as (
    select * from ticket_escalation_versions
    where evidence_order = 1
),

-- The first version at or after the escalation with an assignee: the agent who took it.
ticket_assignments as (
    select
        escalated.ticket_id,
        versions.assignee_id,
        versions.group_name,
        case
            when coalesce(versions.assigned_at, versions.version_at) < escalated.escalated_at
                then escalated.escalated_at
            when versions.assigned_at < versions.version_at then versions.assigned_at
            else versions.version_at
        end as assigned_at,
        row_number() over (
            partition by escalated.ticket_id order by versions.version_at, versions.record_key
        ) as assignment_order
    from ticket_escalation_starts as escalated
    inner join ticket_evidence as versions
        on
            escalated.ticket_id = versions.ticket_id
            and escalated.escalated_at <= versions.version_at
    where versions.assignee_id is not null
),

ticket_outcomes as (
    select
        escalated.ticket_id,
        max(case when versions.recency = 1 then versions.status end) as latest_status,
        max(case when versions.recency = 1 then versions.solved_at end) as latest_solved_at,
        min(
            case
                when
                    versions.status in ('solved', 'closed')
                    and escalated.escalated_at <= versions.version_at
                    then versions.version_at
            end
        ) as first_solved_version_at
    from ticket_escalation_starts as escalated
    inner join ticket_evidence as versions on escalated.ticket_id = versions.ticket_id
    group by escalated.ticket_id
),

ticket_escalations as (
    select
        'tickets__tickets:' || cast(escalated.ticket_id as {{ text }}) as escalation_id,
        'tickets__tickets' as source_stream,
        'tickets__tickets:' || escalated.record_key as record_id,
        cast(escalated.ticket_id as {{ text }}) as contact_key,
        escalated.channel,
        case
            when escalated.escalation_evidence = 'group_change' then 'transfer' else 'escalation'
        end as escalation_type,
        escalated.escalation_evidence,
        escalated.escalated_at,
        cast(assignments.assignee_id as {{ text }}) as owner_agent_id,
        coalesce(assignments.group_name, escalated.group_name) as owner_group,
        assignments.assigned_at as owner_assigned_at,
        case
            when outcomes.latest_status in ('solved', 'closed') then 'resolved'
            when outcomes.latest_status = 'deleted' then 'unresolved'
            else 'open'
        end as escalation_status,
        case
            when outcomes.latest_status in ('solved', 'closed')
                then
                    case
                        when outcomes.latest_solved_at >= escalated.escalated_at
                            then outcomes.latest_solved_at
                        else outcomes.first_solved_version_at
                    end
        end as resolved_at
    from ticket_escalation_starts as escalated
    inner join ticket_outcomes as outcomes on escalated.ticket_id = outcomes.ticket_id
    left join ticket_assignments as assignments
        on
            escalated.ticket_id = assignments.ticket_id
            and assignments.assignment_order = 1
),

-- Intercom keeps no time for a tag: the escalation counts from the conversation's start.
chat_escalations as (
    select
        'chat__conversations:' || conversation_id as escalation_id,
        'chat__conversations' as source_stream,
        'chat__conversations:' || conversation_id as record_id,
        conversation_id as contact_key,
        'chat' as channel,
        'escalation' as escalation_type,
        'tag' as escalation_evidence,
        coalesce(created_at, occurred_at) as escalated_at,
        admin_assignee_id as owner_agent_id,
        team_assignee_id as owner_group,
        {{ connect360.timestamp_add_seconds(
            'coalesce(created_at, occurred_at)', 'time_to_assignment_seconds'
        ) }} as owner_assigned_at,
        case when state = 'closed' then 'resolved' else 'open' end as escalation_status,
        case
            when state = 'closed'
                then coalesce(
                    case
                        when coalesce(reopen_count, 0) = 0
                            then {{ connect360.timestamp_add_seconds(
                                'coalesce(created_at, occurred_at)', 'time_to_first_close_seconds'
                            ) }}
                    end,
                    updated_at
                )
        end as resolved_at
    from chat_conversations
    where {{ connect360.json_array_has_any('tag_names_json', escalation_tags) }}
),

-- A disposition says the call was escalated or transferred, not when: the call's start counts.
voice_escalations as (
    select
        'voice__dispositions:' || dispositions.disposition_id as escalation_id,
        'voice__dispositions' as source_stream,
        'voice__dispositions:' || dispositions.disposition_id as record_id,
        dispositions.call_id as contact_key,
        'voice' as channel,
        case when dispositions.is_escalated then 'escalation' else 'transfer' end
            as escalation_type,
        case
            when dispositions.is_escalated then 'disposition_escalated'
            else 'disposition_transferred'
        end as escalation_evidence,
        coalesce(
            calls.started_at,
            calls.occurred_at,
            dispositions.wrapped_up_at,
            dispositions.occurred_at
        ) as escalated_at,
        cast(null as {{ text }}) as owner_agent_id,
        lower(dispositions.escalated_to) as owner_group,
        cast(null as {{ connect360.utc_timestamp_type() }}) as owner_assigned_at,
        case
            when dispositions.is_resolved then 'resolved'
            when dispositions.is_callback_requested then 'open'
            else 'unresolved'
        end as escalation_status,
        case
            when dispositions.is_resolved
                then coalesce(calls.ended_at, dispositions.wrapped_up_at, dispositions.occurred_at)
        end as resolved_at
    from voice_dispositions as dispositions
    left join voice_calls as calls on dispositions.call_id = calls.call_id
    where dispositions.is_escalated or dispositions.is_transferred
),

escalations_unioned as (
    select * from ticket_escalations
    union all
    select * from chat_escalations
    union all
    select * from voice_escalations
),

escalations_attributed as (
    select
        escalations.*,
        record_customers.customer_id,
        {{ connect360.timestamp_add_seconds('escalations.escalated_at', context_window_seconds) }}
            as context_window_ends_at
    from escalations_unioned as escalations
    inner join record_customers on escalations.record_id = record_customers.record_id
    where record_customers.customer_id is not null
),

-- The customer explaining again: an inbound contact on another channel after the escalation,
-- inside the window and before the resolution.
repeat_explanations as (
    select
        escalations.escalation_id,
        count(*) as other_channel_contacts
    from escalations_attributed as escalations
    inner join support_contacts as contacts
        on
            escalations.customer_id = contacts.customer_id
            and escalations.channel != contacts.contact_channel
            and escalations.escalated_at < contacts.contacted_at
            and escalations.context_window_ends_at >= contacts.contacted_at
            and (
                escalations.resolved_at is null
                or escalations.resolved_at >= contacts.contacted_at
            )
    group by escalations.escalation_id
),

final as (
    select
        escalations.escalation_id,
        escalations.source_stream,
        escalations.record_id,
        escalations.contact_key,
        escalations.customer_id,
        escalations.channel,
        escalations.escalation_type,
        escalations.escalation_evidence,
        escalations.escalated_at,
        escalations.owner_agent_id,
        escalations.owner_group,
        escalations.owner_assigned_at,
        {{ connect360.seconds_between(
            'escalations.escalated_at', 'escalations.owner_assigned_at'
        ) }} as seconds_to_owner,
        coalesce(repeats.other_channel_contacts, 0) as other_channel_contacts,
        repeats.escalation_id is null as is_context_carried,
        escalations.escalation_status,
        escalations.resolved_at,
        {{ connect360.seconds_between('escalations.escalated_at', 'escalations.resolved_at') }}
            as seconds_to_resolution
    from escalations_attributed as escalations
    left join repeat_explanations as repeats
        on escalations.escalation_id = repeats.escalation_id
)

select * from final
