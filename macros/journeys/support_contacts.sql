{#
    The customer's inbound support contacts, shared by the support marts. A contact is:
    - a chat conversation the customer started (Intercom `source.delivered_as` customer_initiated,
      or not given);
    - a helpdesk ticket, once, at its creation, whatever number of updates it had (a record
      without a ticket id cannot be told apart from others and is left out);
    - an inbound call, leaving out the legs of calls (a transfer's leg has a parent call);
    - an inbound SMS.
    A ticket's channel is where the helpdesk says it came from (Zendesk `via.channel`): a ticket
    opened from a call, a chat or an SMS belongs to that channel, any other (email, web form, app,
    API) to `ticket`. Contacts whose records have no customer are left out: their customer is
    needed to match them to anything; erased customers' records are already absent.
#}

{% macro support_channel(via_channel) -%}
    case lower({{ via_channel }})
        when 'voice' then 'voice'
        when 'chat' then 'chat'
        when 'native_messaging' then 'chat'
        when 'sms' then 'sms'
        else 'ticket'
    end
{%- endmacro %}

{#-
    A select of (contact_id, record_id, contact_channel, contacted_at, customer_id) over the
    model's import CTEs of stg_chat__conversations, stg_tickets__tickets, stg_voice__calls,
    stg_sms__messages and int_identity__record_customers, named by the arguments.
-#}
{% macro inbound_support_contacts(chats, tickets, calls, sms, record_customers) -%}
    {%- set text = dbt.type_string() -%}
    select
        contacts.contact_id,
        contacts.record_id,
        contacts.contact_channel,
        contacts.contacted_at,
        {{ record_customers }}.customer_id
    from (
        select
            'chat__conversations:' || conversation_id as contact_id,
            'chat__conversations:' || conversation_id as record_id,
            'chat' as contact_channel,
            coalesce(created_at, occurred_at) as contacted_at
        from {{ chats }}
        where coalesce(delivered_as, 'customer_initiated') = 'customer_initiated'

        union all

        select
            'tickets__tickets:' || cast(ticket_id as {{ text }}) as contact_id,
            'tickets__tickets:' || min(record_key) as record_id,
            {{ connect360.support_channel('min(via_channel)') }} as contact_channel,
            coalesce(min(created_at), min(occurred_at)) as contacted_at
        from {{ tickets }}
        where ticket_id is not null
        group by ticket_id

        union all

        select
            'voice__calls:' || call_id as contact_id,
            'voice__calls:' || call_id as record_id,
            'voice' as contact_channel,
            coalesce(started_at, occurred_at) as contacted_at
        from {{ calls }}
        where is_inbound and parent_call_id is null

        union all

        select
            'sms__messages:' || message_id as contact_id,
            'sms__messages:' || message_id as record_id,
            'sms' as contact_channel,
            coalesce(sent_at, created_at, occurred_at) as contacted_at
        from {{ sms }}
        where is_inbound
    ) as contacts
    inner join {{ record_customers }}
        on contacts.record_id = {{ record_customers }}.record_id
    where {{ record_customers }}.customer_id is not null
{%- endmacro %}
