{#-
    Every interaction on every channel, one row per source record (a till receipt is one row for
    all its lines), before customers are attached: channel, touchpoint type, direction, the
    record's own time zone when it carries one, campaign, message and an outcome code.

    Direction is who acted: `inbound` when the customer did (a page view, an email click, a call
    they placed, an order), `outbound` when the company did (a send, a delivery notice, an agent's
    ticket update, a carrier scan). Records that are not interactions (CRM contact snapshots,
    experiment assignments, price lists, erasure requests) are not touchpoints; call dispositions
    are folded into their call's outcome.

    `wait_seconds` is how long the customer waited for a person: the call's queue wait, the
    chat's time to the first agent reply, the ticket's first reply time. A social mention's
    outcome is its sentiment (negative, neutral, positive) when the sentiment asset has scored
    it.
-#}
with

web_events as (
    select * from {{ ref('stg_web__events') }}
),

app_events as (
    select * from {{ ref('stg_mobile_app__events') }}
),

email_events as (
    select * from {{ ref('stg_email__events') }}
),

sms_messages as (
    select * from {{ ref('stg_sms__messages') }}
),

voice_calls as (
    select * from {{ ref('stg_voice__calls') }}
),

voice_dispositions as (
    select * from {{ ref('stg_voice__dispositions') }}
),

chat_conversations as (
    select * from {{ ref('stg_chat__conversations') }}
),

tickets as (
    select * from {{ ref('stg_tickets__tickets') }}
),

orders as (
    select * from {{ ref('stg_orders__orders') }}
),

pos_receipts as (
    select * from {{ ref('stg_pos__receipts') }}
),

shipping_events as (
    select * from {{ ref('stg_shipping__tracking_events') }}
),

survey_responses as (
    select * from {{ ref('stg_surveys__responses') }}
),

social_mentions as (
    select * from {{ ref('stg_social__mentions') }}
),

-- The sentiment of social mentions (none before the sentiment asset has run).
mention_sentiment as (
    select * from {{ ref('stg_sentiment__social_mentions') }}
),

consent_events as (
    select * from {{ ref('stg_consent__events') }}
),

marketing_sends as (
    select * from {{ ref('stg_marketing__sends') }}
),

digital as (
    {%- for stream, events, view_type, location in [
        ('web__events', 'web_events', 'page_view', 'page_path'),
        ('mobile_app__events', 'app_events', 'screen_view', 'screen_name'),
    ] %}
        select
            '{{ stream }}:' || event_id as record_id,
            '{{ stream }}' as source_stream,
            '{{ stream.split("__")[0] }}' as channel,
            case
                when call_type in ('page', 'screen') then '{{ view_type }}'
                when call_type = 'track'
                    then {{ connect360.slug('event_name') }}
                else call_type
            end as touchpoint_type,
            'inbound' as direction,
            occurred_at,
            time_zone as record_time_zone,
            campaign_name as campaign,
            {{ location }} as message,
            case when event_name = 'Order Completed' then 'converted' end as outcome_code,
            cast(null as bigint) as wait_seconds,
            false as is_escalated,
            'order:' || order_id as reference_id,
            anonymous_id as session_subject,
            _loaded_at
        from {{ events }}
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

email as (
    select
        'email__events:' || event_id as record_id,
        'email__events' as source_stream,
        'email' as channel,
        'email_' || event_type as touchpoint_type,
        case
            when event_type in ('open', 'click', 'unsubscribe', 'spamreport', 'group_unsubscribe')
                then 'inbound'
            else 'outbound'
        end as direction,
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as record_time_zone,
        campaign_id as campaign,
        marketing_send_id as message,
        coalesce(bounce_type, failure_category, purpose) as outcome_code,
        cast(null as bigint) as wait_seconds,
        false as is_escalated,
        'email:' || message_id as reference_id,
        cast(null as {{ dbt.type_string() }}) as session_subject,
        _loaded_at
    from email_events
),

sms as (
    select
        'sms__messages:' || message_id as record_id,
        'sms__messages' as source_stream,
        'sms' as channel,
        case when is_inbound then 'sms_received' else 'sms_sent' end as touchpoint_type,
        case when is_inbound then 'inbound' else 'outbound' end as direction,
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as record_time_zone,
        cast(null as {{ dbt.type_string() }}) as campaign,
        messaging_service_id as message,
        status as outcome_code,
        cast(null as bigint) as wait_seconds,
        false as is_escalated,
        'sms:' || message_id as reference_id,
        cast(null as {{ dbt.type_string() }}) as session_subject,
        _loaded_at
    from sms_messages
),

calls as (
    select
        'voice__calls:' || voice_calls.call_id as record_id,
        'voice__calls' as source_stream,
        'voice' as channel,
        case when voice_calls.is_inbound then 'inbound_call' else 'outbound_call' end
            as touchpoint_type,
        case when voice_calls.is_inbound then 'inbound' else 'outbound' end as direction,
        voice_calls.occurred_at,
        cast(null as {{ dbt.type_string() }}) as record_time_zone,
        cast(null as {{ dbt.type_string() }}) as campaign,
        voice_dispositions.reason_code as message,
        case
            when voice_calls.status in ('canceled', 'no-answer', 'busy', 'failed')
                then voice_calls.status
            when voice_dispositions.is_transferred then 'transferred'
            when voice_dispositions.is_resolved then 'resolved'
            when voice_dispositions.call_id is not null then 'unresolved'
            else voice_calls.status
        end as outcome_code,
        voice_dispositions.wait_seconds,
        coalesce(voice_dispositions.is_escalated, false) as is_escalated,
        'call:' || voice_calls.call_id as reference_id,
        cast(null as {{ dbt.type_string() }}) as session_subject,
        greatest(
            voice_calls._loaded_at,
            coalesce(voice_dispositions._loaded_at, voice_calls._loaded_at)
        ) as _loaded_at
    from voice_calls
    left join voice_dispositions on voice_calls.call_id = voice_dispositions.call_id
    -- One wrap-up per call; a second one (re-wrapped) is the later.
    qualify row_number() over (
        partition by voice_calls.call_id order by voice_dispositions.wrapped_up_at desc
    ) = 1
),

chats as (
    select
        'chat__conversations:' || conversation_id as record_id,
        'chat__conversations' as source_stream,
        'chat' as channel,
        'chat_conversation' as touchpoint_type,
        case when author_type in ('admin', 'bot') then 'outbound' else 'inbound' end as direction,
        created_at as occurred_at,
        cast(null as {{ dbt.type_string() }}) as record_time_zone,
        cast(null as {{ dbt.type_string() }}) as campaign,
        tag_names_json as message,
        case when state = 'closed' then 'resolved' else 'unresolved' end as outcome_code,
        time_to_admin_reply_seconds as wait_seconds,
        tag_names_json like '%"escalated"%' as is_escalated,
        'conversation:' || conversation_id as reference_id,
        cast(null as {{ dbt.type_string() }}) as session_subject,
        _loaded_at
    from chat_conversations
),

ticket_updates as (
    select
        'tickets__tickets:' || record_key as record_id,
        'tickets__tickets' as source_stream,
        'tickets' as channel,
        'ticket_' || status as touchpoint_type,
        case when status = 'new' then 'inbound' else 'outbound' end as direction,
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as record_time_zone,
        cast(null as {{ dbt.type_string() }}) as campaign,
        group_name as message,
        case when status in ('solved', 'closed') then 'resolved' else status end as outcome_code,
        reply_minutes * 60 as wait_seconds,
        tags_json like '%"escalated"%' as is_escalated,
        'ticket:' || cast(ticket_id as {{ dbt.type_string() }}) as reference_id,
        cast(null as {{ dbt.type_string() }}) as session_subject,
        _loaded_at
    from tickets
),

order_updates as (
    select
        'orders__orders:' || record_key as record_id,
        'orders__orders' as source_stream,
        'orders' as channel,
        case
            when cancelled_at is not null then 'order_cancelled'
            when financial_status in ('refunded', 'partially_refunded') then 'order_refunded'
            when fulfillment_status is not null then 'order_fulfilled'
            else 'order_placed'
        end as touchpoint_type,
        case
            when
                cancelled_at is null
                and financial_status not in ('refunded', 'partially_refunded')
                and fulfillment_status is null
                then 'inbound'
            else 'outbound'
        end as direction,
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as record_time_zone,
        cast(null as {{ dbt.type_string() }}) as campaign,
        source_name as message,
        financial_status as outcome_code,
        cast(null as bigint) as wait_seconds,
        false as is_escalated,
        'order:' || cast(order_id as {{ dbt.type_string() }}) as reference_id,
        cast(null as {{ dbt.type_string() }}) as session_subject,
        _loaded_at
    from orders
),

receipts as (
    select
        'pos__receipts:' || min(record_key) as record_id,
        'pos__receipts' as source_stream,
        'pos' as channel,
        'store_purchase' as touchpoint_type,
        'inbound' as direction,
        min(occurred_at) as occurred_at,
        max(store_timezone) as record_time_zone,
        max(discount_code) as campaign,
        max(store_id) as message,
        case when bool_and(is_full_price) then 'full_price' else 'discounted' end as outcome_code,
        cast(null as bigint) as wait_seconds,
        false as is_escalated,
        'receipt:' || receipt_id as reference_id,
        cast(null as {{ dbt.type_string() }}) as session_subject,
        max(_loaded_at) as _loaded_at
    from pos_receipts
    group by receipt_id
),

deliveries as (
    select
        'shipping__tracking_events:' || event_id as record_id,
        'shipping__tracking_events' as source_stream,
        'shipping' as channel,
        'shipment_' || status as touchpoint_type,
        'outbound' as direction,
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as record_time_zone,
        cast(null as {{ dbt.type_string() }}) as campaign,
        carrier as message,
        coalesce(status_detail, status) as outcome_code,
        cast(null as bigint) as wait_seconds,
        false as is_escalated,
        'order_name:' || order_reference as reference_id,
        cast(null as {{ dbt.type_string() }}) as session_subject,
        _loaded_at
    from shipping_events
),

surveys as (
    select
        'surveys__responses:' || response_id as record_id,
        'surveys__responses' as source_stream,
        'surveys' as channel,
        'survey_response' as touchpoint_type,
        'inbound' as direction,
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as record_time_zone,
        survey_id as campaign,
        trigger_touchpoint_type as message,
        {{ connect360.survey_score_band('survey_type', 'score') }} as outcome_code,
        cast(null as bigint) as wait_seconds,
        false as is_escalated,
        trigger_reference_id as reference_id,
        cast(null as {{ dbt.type_string() }}) as session_subject,
        _loaded_at
    from survey_responses
),

social as (
    select
        'social__mentions:' || social_mentions.mention_id as record_id,
        'social__mentions' as source_stream,
        'social' as channel,
        'social_' || social_mentions.kind as touchpoint_type,
        'inbound' as direction,
        social_mentions.occurred_at,
        cast(null as {{ dbt.type_string() }}) as record_time_zone,
        cast(null as {{ dbt.type_string() }}) as campaign,
        social_mentions.platform as message,
        mention_sentiment.sentiment as outcome_code,
        cast(null as bigint) as wait_seconds,
        false as is_escalated,
        'mention:' || social_mentions.in_reply_to_id as reference_id,
        cast(null as {{ dbt.type_string() }}) as session_subject,
        social_mentions._loaded_at
    from social_mentions
    left join mention_sentiment
        on 'social__mentions:' || social_mentions.mention_id = mention_sentiment.record_id
),

consent as (
    select
        'consent__events:' || consent_event_id as record_id,
        'consent__events' as source_stream,
        'consent' as channel,
        'consent_' || action as touchpoint_type,
        'inbound' as direction,
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as record_time_zone,
        cast(null as {{ dbt.type_string() }}) as campaign,
        purpose as message,
        source as outcome_code,
        cast(null as bigint) as wait_seconds,
        false as is_escalated,
        cast(null as {{ dbt.type_string() }}) as reference_id,
        cast(null as {{ dbt.type_string() }}) as session_subject,
        _loaded_at
    from consent_events
),

sends as (
    select
        'marketing__sends:' || send_id as record_id,
        'marketing__sends' as source_stream,
        case when channel = 'phone' then 'voice' else channel end as channel,
        'marketing_send' as touchpoint_type,
        'outbound' as direction,
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as record_time_zone,
        campaign_id as campaign,
        coalesce(offer_id, wording_key) as message,
        purpose as outcome_code,
        cast(null as bigint) as wait_seconds,
        false as is_escalated,
        'send:' || send_id as reference_id,
        cast(null as {{ dbt.type_string() }}) as session_subject,
        _loaded_at
    from marketing_sends
),

unioned as (
    select * from digital
    union all
    select * from email
    union all
    select * from sms
    union all
    select * from calls
    union all
    select * from chats
    union all
    select * from ticket_updates
    union all
    select * from order_updates
    union all
    select * from receipts
    union all
    select * from deliveries
    union all
    select * from surveys
    union all
    select * from social
    union all
    select * from consent
    union all
    select * from sends
),

-- A record whose type field is empty (a track call without an event name, a ticket without a
-- status) is still an interaction: it is kept, typed as unknown.
final as (
    select
        record_id,
        source_stream,
        channel,
        coalesce(touchpoint_type, channel || '_unknown') as touchpoint_type,
        direction,
        occurred_at,
        record_time_zone,
        campaign,
        message,
        outcome_code,
        wait_seconds,
        is_escalated,
        reference_id,
        session_subject,
        _loaded_at
    from unioned
)

select * from final
